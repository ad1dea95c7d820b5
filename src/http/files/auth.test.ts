// The file store with identity and policy on: the /v2 actions (pull, push, delete) decided
// by the same rules, before anything is looked up; and a rule that reads the file's scan
// state, decided with the file in hand.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../auth/testing/auth-app.js';
import { startFilesApp, type FilesApp } from './testing/files-app.js';
import { fileRequests } from './testing/requests.js';

let t: FilesApp;
const as = (authorization: string) => fileRequests(() => t.app, () => ({ authorization }));
const anonymous = fileRequests(() => t.app);

describe('files with auth on and the default policy', () => {
  let maintainer: string;
  let member: string;
  let reader: string;
  let stranger: string;
  beforeAll(async () => {
    t = await startFilesApp({ auth: { enabled: true } });
    maintainer = await t.addUser('mae', [{ namespace: 'team', role: 'maintainer' }]);
    member = await t.addUser('mia', [{ namespace: 'team', role: 'member' }]);
    reader = await t.addUser('rex', [{ namespace: 'team', role: 'reader' }]);
    stranger = await t.addUser('sam', [{ namespace: 'other', role: 'maintainer' }]);
  });
  afterAll(async () => t.close());

  beforeAll(async () => {
    expect((await as(member).put('/files/team/dist/-/app.tar.gz', 'app bytes')).statusCode).toBe(201);
  });

  it('refuses every method without credentials with 401 and a challenge, before looking anything up', async () => {
    const requests = [
      anonymous.get('/files/team/dist/-/app.tar.gz'),
      anonymous.get('/files/team/dist/-/missing.tar.gz'),
      anonymous.get('/files/team/dist/-/'),
      anonymous.put('/files/team/dist/-/new.tar.gz', 'x'),
      anonymous.postForm('/files/team/dist/-/', { name: 'x.txt', content: 'x' }),
      t.app.inject({ method: 'DELETE', url: '/files/team/dist/-/app.tar.gz' }),
      t.app.inject({ method: 'HEAD', url: '/files/team/dist/-/app.tar.gz' }),
      // Not even a valid path: nobody learns what the API takes without credentials.
      anonymous.get('/files/nonsense'),
    ];
    for (const res of await Promise.all(requests)) {
      expect(res.statusCode, res.body).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
    }
    const wrong = await as(basic('rex', 'wrong password')).get('/files/team/dist/-/app.tar.gz');
    expect(wrong.statusCode).toBe(401);
  });

  it('lets a reader download and list, and refuses its PUT, POST and DELETE with 403', async () => {
    expect((await as(reader).get('/files/team/dist/-/app.tar.gz')).payload).toBe('app bytes');
    expect((await as(reader).get('/files/team/dist/-/')).json().files).toHaveLength(1);
    const put = await as(reader).put('/files/team/dist/-/app.tar.gz', 'replaced');
    expect(put.statusCode).toBe(403);
    expect(put.json().errors[0]).toMatchObject({ code: 'DENIED', detail: { action: 'push', resource: 'repository:team/dist' } });
    expect((await as(reader).postForm('/files/team/dist/-/', { name: 'x.txt', content: 'x' })).statusCode).toBe(403);
    const del = await t.app.inject({ method: 'DELETE', url: '/files/team/dist/-/app.tar.gz', headers: { authorization: reader } });
    expect(del.statusCode).toBe(403);
    expect((await as(reader).get('/files/team/dist/-/app.tar.gz')).payload).toBe('app bytes');
  });

  it('leaves deletes to maintainers, as for images', async () => {
    await as(member).put('/files/team/dist/-/old.tar.gz', 'old');
    expect((await t.app.inject({ method: 'DELETE', url: '/files/team/dist/-/old.tar.gz', headers: { authorization: member } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: '/files/team/dist/-/old.tar.gz', headers: { authorization: maintainer } })).statusCode).toBe(204);
  });

  it('tells a caller without rights in the namespace nothing: 403 for files that exist and files that do not', async () => {
    const existing = await as(stranger).get('/files/team/dist/-/app.tar.gz');
    const missing = await as(stranger).get('/files/team/dist/-/missing.tar.gz');
    expect(existing.statusCode).toBe(403);
    expect(missing.statusCode).toBe(403);
    expect(existing.json().errors[0].message).toBe(missing.json().errors[0].message);
  });

});

describe('a rule that reads the file (its scan state)', () => {
  let policyDir: string;
  let member: string;
  let reader: string;
  beforeAll(async () => {
    policyDir = await mkdtemp(join(tmpdir(), 'scangate-files-policy-'));
    const policyFile = join(policyDir, 'policy.yaml');
    // Readers may not even be told that a file is waiting for its scan.
    await writeFile(policyFile, JSON.stringify({ pull: "rule:is_reader and not 'pending':%(scan_state)s" }));
    t = await startFilesApp({ auth: { enabled: true, policyFile }, scanning: { manifestWaitSeconds: 0.2 } });
    member = await t.addUser('mia', [{ namespace: 'team', role: 'member' }]);
    reader = await t.addUser('rex', [{ namespace: 'team', role: 'reader' }]);
  });
  afterAll(async () => {
    await t.close();
    await rm(policyDir, { recursive: true, force: true });
  });

  it('is decided with the file in hand: a pending file is denied by the rule, a clean one served', async () => {
    expect((await as(member).put('/files/team/dist/-/ready.bin', 'ready')).statusCode).toBe(201);
    const finishScans = t.holdScans();
    expect((await as(member).put('/files/team/dist/-/waiting.bin', 'waiting')).statusCode).toBe(202);
    const get = await as(reader).get('/files/team/dist/-/waiting.bin');
    expect(get.statusCode).toBe(403);
    expect(get.json().errors[0].detail).toMatchObject({ action: 'pull', resource: 'file:team/dist/-/waiting.bin' });
    expect((await t.app.inject({ method: 'HEAD', url: '/files/team/dist/-/waiting.bin', headers: { authorization: reader } })).statusCode).toBe(403);
    // The other file, and the listing (decided over the repository), stay open.
    expect((await as(reader).get('/files/team/dist/-/ready.bin')).payload).toBe('ready');
    expect((await as(reader).get('/files/team/dist/-/')).json().files).toHaveLength(2);
    finishScans();
  });
});
