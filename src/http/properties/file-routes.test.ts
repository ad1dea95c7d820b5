// The properties API on files, over the real app with the file store, its scan gate and
// identity on: Glance's billing-code scenario on a file (a property set through the API
// decides file GET and HEAD; protections keep members from removing it; an upload over the
// file keeps it; deleting the file deletes it), hidden properties, a rule over a file's
// property deciding DELETE, auth off, and bad requests as clear 4xx answers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glancePolicy, glanceProtections } from '../../policy/testing/glance.js';
import { startFilesApp, type FilesApp } from '../files/testing/files-app.js';
import { fileRequests } from '../files/testing/requests.js';

let t: FilesApp;
let policyDir: string;

async function startWithPolicy(policy: Record<string, string>): Promise<FilesApp> {
  policyDir = await mkdtemp(join(tmpdir(), 'scangate-file-properties-'));
  await writeFile(join(policyDir, 'policy.json'), JSON.stringify(policy));
  await writeFile(join(policyDir, 'protections.conf'), glanceProtections);
  return startFilesApp({ auth: { enabled: true, policyFile: join(policyDir, 'policy.json'), propertyProtectionsFile: join(policyDir, 'protections.conf') } });
}

async function stop(): Promise<void> {
  await t.close();
  await rm(policyDir, { recursive: true, force: true });
}

const fileUrl = '/files/billing/app/-/dist/app.tar.gz';
const url = '/api/v1/repositories/billing/app/-/files/dist/app.tar.gz/properties';
const patch = (authorization: string, body: unknown, target = url, contentType = 'application/json-patch+json') =>
  t.app.inject({ method: 'PATCH', url: target, headers: { authorization, 'content-type': contentType }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
const read = (authorization: string, target = url) => t.app.inject({ method: 'GET', url: target, headers: { authorization } });
const as = (authorization: string) => fileRequests(() => t.app, () => ({ authorization }));
const head = (authorization: string, target = fileUrl) => t.app.inject({ method: 'HEAD', url: target, headers: { authorization } });
const remove = (authorization: string, target = fileUrl) => t.app.inject({ method: 'DELETE', url: target, headers: { authorization } });
const names = (body: { properties: { name: string }[] }) => body.properties.map((p) => p.name);

describe('Glance scenario on a file: a billing code set through the API', () => {
  let admin: string;
  let member: string;
  let reader: string;
  beforeAll(async () => {
    t = await startWithPolicy(glancePolicy);
    admin = await t.addUser('ada', [{ namespace: 'billing', role: 'admin' }]);
    member = await t.addUser('mia', [{ namespace: 'billing', role: 'member' }]);
    reader = await t.addUser('rex', [{ namespace: 'billing', role: 'reader' }]);
    expect((await as(admin).put(fileUrl, 'app v1')).statusCode).toBe(201);
  });
  afterAll(stop);

  it('an admin sets it; the member is then refused GET and HEAD, an admin and a reader are not', async () => {
    expect((await as(member).get(fileUrl)).statusCode).toBe(200);
    const res = await patch(admin, [{ op: 'add', path: '/x_billing_code_ntt', value: 'ntt_3251' }]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ repository: 'billing/app', path: 'dist/app.tar.gz', digest: expect.stringMatching(/^sha256:/) });
    expect(res.json().properties).toEqual([expect.objectContaining({ name: 'x_billing_code_ntt', value: 'ntt_3251', source: 'property', updatedBy: 'user:ada' })]);

    const denied = await as(member).get(fileUrl);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().errors[0]).toMatchObject({ code: 'DENIED', detail: { action: 'pull', resource: 'file:billing/app/-/dist/app.tar.gz' } });
    expect(denied.json().errors[0].message).toContain('rule:download_image');
    expect((await head(member)).statusCode).toBe(403);
    expect((await as(admin).get(fileUrl)).payload).toBe('app v1');
    expect((await as(reader).get(fileUrl)).payload).toBe('app v1');
    expect((await head(reader)).statusCode).toBe(200);
  });

  it('the member cannot delete, change or add a billing code: the protections say which section refused', async () => {
    for (const op of [
      { op: 'remove', path: '/x_billing_code_ntt' },
      { op: 'replace', path: '/x_billing_code_ntt', value: 'other' },
      { op: 'add', path: '/x_billing_code_abc', value: '1' },
    ]) {
      const res = await patch(member, [op]);
      expect(res.statusCode, JSON.stringify(op)).toBe(403);
      expect(res.json().errors[0].message).toContain('^x_billing_code_.*');
    }
    expect((await as(member).get(fileUrl)).statusCode).toBe(403);
  });

  it('a patch is all or nothing; the member may set unprotected properties', async () => {
    const refused = await patch(member, [
      { op: 'add', path: '/owner', value: 'mia' },
      { op: 'remove', path: '/x_billing_code_ntt' },
    ]);
    expect(refused.statusCode).toBe(403);
    expect(names((await read(admin)).json())).toEqual(['x_billing_code_ntt']);
    const res = await patch(member, [{ op: 'add', path: '/owner', value: 'mia' }]);
    expect(res.statusCode).toBe(200);
    expect(names(res.json())).toEqual(['owner', 'x_billing_code_ntt']);
  });

  it('an upload over the file keeps its properties: the member who may push still may not pull it', async () => {
    const put = await as(member).put(fileUrl, 'app v2');
    expect(put.statusCode).toBe(201);
    const after = (await read(admin)).json();
    expect(after.digest).toBe(put.json().digest);
    expect(names(after)).toEqual(['owner', 'x_billing_code_ntt']);
    expect((await as(member).get(fileUrl)).statusCode).toBe(403);
    expect((await as(reader).get(fileUrl)).payload).toBe('app v2');
    // A listing is decided over the repository, as for any file.
    expect((await as(member).get('/files/billing/app/-/dist/')).json().files).toHaveLength(1);
  });

  it('hides what the caller may not read, and a patch cannot tell a hidden property from a missing one', async () => {
    expect((await patch(admin, [{ op: 'add', path: '/secret_cost_centre', value: '4711' }])).statusCode).toBe(200);
    expect(names((await read(admin)).json())).toEqual(['owner', 'secret_cost_centre', 'x_billing_code_ntt']);
    const seen = await read(member);
    expect(names(seen.json())).toEqual(['owner', 'x_billing_code_ntt']);
    expect(seen.body).not.toContain('4711');
    const hidden = await patch(member, [{ op: 'replace', path: '/secret_cost_centre', value: '1' }]);
    const missing = await patch(member, [{ op: 'replace', path: '/secret_nothing', value: '1' }]);
    expect(hidden.statusCode).toBe(409);
    expect(missing.statusCode).toBe(409);
    expect(hidden.json().errors[0].message.replaceAll('cost_centre', 'nothing')).toBe(missing.json().errors[0].message);
    // A member's unrelated change leaves the hidden property as it is.
    expect((await patch(member, [{ op: 'add', path: '/team', value: 'red' }])).statusCode).toBe(200);
    expect(names((await read(admin)).json())).toContain('secret_cost_centre');
  });

  it('an admin removes the code and the member downloads again', async () => {
    expect((await patch(admin, [{ op: 'remove', path: '/x_billing_code_ntt' }])).statusCode).toBe(200);
    expect((await as(member).get(fileUrl)).payload).toBe('app v2');
  });

  it('deleting the file deletes its properties: a new upload at the path starts bare', async () => {
    expect((await patch(admin, [{ op: 'add', path: '/x_billing_code_ntt', value: 'ntt_3251' }])).statusCode).toBe(200);
    expect((await remove(admin)).statusCode).toBe(204);
    const gone = await read(admin);
    expect(gone.statusCode).toBe(404);
    expect(gone.json().errors[0].code).toBe('FILE_UNKNOWN');
    expect((await patch(admin, [{ op: 'add', path: '/owner', value: 'x' }])).statusCode).toBe(404);
    expect((await as(admin).put(fileUrl, 'app v3')).statusCode).toBe(201);
    expect((await read(admin)).json().properties).toEqual([]);
    expect((await as(member).get(fileUrl)).payload).toBe('app v3');
  });

  it('names files with any characters by their percent-encoded segments, as /files does', async () => {
    expect((await as(admin).put('/files/billing/app/-/docs/r%C3%A9sum%C3%A9%20v1.txt', 'cv')).statusCode).toBe(201);
    const res = await patch(admin, [{ op: 'add', path: '/owner', value: 'ada' }], '/api/v1/repositories/billing/app/-/files/docs/r%C3%A9sum%C3%A9%20v1.txt/properties');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().path).toBe('docs/résumé v1.txt');
    // A file whose own name is "properties".
    expect((await as(admin).put('/files/billing/app/-/conf/properties', 'k=v')).statusCode).toBe(201);
    expect((await read(admin, '/api/v1/repositories/billing/app/-/files/conf/properties/properties')).json().path).toBe('conf/properties');
  });

  describe('bad requests are clear 4xx answers', () => {
    const cases: [string, () => ReturnType<typeof patch>, number, string][] = [
      ['a missing file', () => read(admin, '/api/v1/repositories/billing/app/-/files/dist/none.tar.gz/properties'), 404, 'no file'],
      ['a directory', () => read(admin, '/api/v1/repositories/billing/app/-/files/dist//properties'), 400, 'directory'],
      ['a control character', () => read(admin, '/api/v1/repositories/billing/app/-/files/dist/a%0Ab/properties'), 400, 'invalid file path'],
      ['an encoded slash', () => read(admin, '/api/v1/repositories/billing/app/-/files/a%2Fb/properties'), 400, 'invalid file path'],
      ['no path', () => read(admin, '/api/v1/repositories/billing/app/-/files/properties'), 404, 'expected'],
      ['no files/ after /-/', () => read(admin, '/api/v1/repositories/billing/app/-/dist/app.tar.gz/properties'), 404, 'expected'],
      ['a bad repository name', () => read(admin, '/api/v1/repositories/Bad..Name/-/files/a.txt/properties'), 400, 'invalid repository name'],
      ['a malformed patch', () => patch(admin, { op: 'add' }), 400, 'JSON array'],
      ['the wrong media type', () => patch(admin, [], url, 'application/json'), 415, 'json-patch'],
    ];
    for (const [what, send, status, says] of cases) {
      it(what, async () => {
        const res = await send();
        expect(res.statusCode, res.body).toBe(status);
        expect(res.json().errors[0].message.toLowerCase()).toContain(says.toLowerCase());
      });
    }

    it('a dot segment, sent over a socket as written (app.inject() would resolve it), is FILE_PATH_INVALID', async () => {
      const base = new URL(await t.app.listen({ host: '127.0.0.1', port: 0 }));
      for (const path of ['dist/../x', 'dist/%2E%2E/x', './x']) {
        const res = await rawGet(base, `/api/v1/repositories/billing/app/-/files/${path}/properties`, admin);
        expect(res.status, path).toBe(400);
        expect(JSON.parse(res.body).errors[0].code).toBe('FILE_PATH_INVALID');
      }
    });

    it('no credentials: 401 with a challenge, for a file that exists and one that does not', async () => {
      for (const target of [url, '/api/v1/repositories/billing/app/-/files/none/properties']) {
        const res = await t.app.inject({ method: 'GET', url: target });
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toContain('Basic');
      }
    });

    it('a caller with no role in the namespace learns nothing: 403 alike for files that exist and that do not', async () => {
      const outsider = await t.addUser('olga', [{ namespace: 'elsewhere', role: 'admin' }]);
      const existing = await read(outsider);
      const missing = await read(outsider, '/api/v1/repositories/billing/app/-/files/none/properties');
      expect(existing.statusCode).toBe(403);
      expect(missing.statusCode).toBe(403);
      expect(existing.json().errors[0].message).toBe(missing.json().errors[0].message);
      expect((await patch(outsider, [{ op: 'add', path: '/owner', value: 'o' }])).statusCode).toBe(403);
    });
  });
});

describe('a rule over a file\'s property decides its DELETE too', () => {
  let maintainer: string;
  beforeAll(async () => {
    t = await startWithPolicy({ ...glancePolicy, delete: "rule:is_maintainer and not 'yes':%(locked)s" });
    // An admin: maintainers are not among the roles the protections let create properties.
    maintainer = await t.addUser('ada', [{ namespace: 'billing', role: 'admin' }]);
  });
  afterAll(stop);

  it('a locked file stays until the lock is removed', async () => {
    expect((await as(maintainer).put(fileUrl, 'keep me')).statusCode).toBe(201);
    expect((await patch(maintainer, [{ op: 'add', path: '/locked', value: 'yes' }])).statusCode).toBe(200);
    const refused = await remove(maintainer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors[0].detail).toMatchObject({ action: 'delete', resource: 'file:billing/app/-/dist/app.tar.gz' });
    expect((await patch(maintainer, [{ op: 'remove', path: '/locked' }])).statusCode).toBe(200);
    expect((await remove(maintainer)).statusCode).toBe(204);
  });
});

describe('a push rule that reads the file', () => {
  let member: string;
  let reader: string;
  beforeAll(async () => {
    t = await startWithPolicy({ ...glancePolicy, push: "rule:is_member and not 'yes':%(locked)s" });
    member = await t.addUser('mia', [{ namespace: 'billing', role: 'member' }]);
    reader = await t.addUser('rex', [{ namespace: 'billing', role: 'reader' }]);
  });
  afterAll(stop);

  it('is still decided for an upload, over the repository: a reader may not PUT', async () => {
    const refused = await as(reader).put(fileUrl, 'from a reader');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors[0].detail).toMatchObject({ action: 'push', resource: 'repository:billing/app' });
    expect((await as(member).put(fileUrl, 'from a member')).statusCode).toBe(201);
  });
});

describe('with auth off', () => {
  beforeAll(async () => {
    t = await startFilesApp();
  });
  afterAll(async () => t.close());

  it('anyone reads and changes a file\'s properties, recorded as anonymous', async () => {
    const http = fileRequests(() => t.app);
    expect((await http.put('/files/team/dist/-/a.txt', 'a')).statusCode).toBe(201);
    const target = '/api/v1/repositories/team/dist/-/files/a.txt/properties';
    const res = await t.app.inject({ method: 'PATCH', url: target, headers: { 'content-type': 'application/json-patch+json' }, payload: '[{"op":"add","path":"/owner","value":"me"}]' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().properties).toEqual([expect.objectContaining({ name: 'owner', value: 'me', updatedBy: 'anonymous' })]);
    expect((await t.app.inject({ method: 'GET', url: target })).json().properties).toHaveLength(1);
  });
});

/** A GET with the path exactly as written (no dot-segment resolution). */
function rawGet(base: URL, path: string, authorization: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method: 'GET', path, headers: { authorization } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
