// The properties API over the real app with identity on: Glance's billing-code scenario
// (a property set through the API restricts pulls; protections keep members from removing
// it), hidden properties, and every kind of bad patch as a clear 4xx.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startAuthTestApp, type AuthTestApp } from '../auth/testing/auth-app.js';
import { pushImage, type PushedImage } from '../auth/testing/push-image.js';
import { glancePolicy, glanceProtections } from '../../policy/testing/glance.js';

const policy = glancePolicy;
const protections = glanceProtections;

let t: AuthTestApp;
let admin: string;
let member: string;
let reader: string;
let image: PushedImage;
const url = '/api/v1/repositories/billing/app/artifacts/v1/properties';

beforeAll(async () => {
  t = await startAuthTestApp({}, async (dir) => {
    await writeFile(join(dir, 'policy.json'), JSON.stringify(policy));
    await writeFile(join(dir, 'protections.conf'), protections);
    return { policyFile: join(dir, 'policy.json'), propertyProtectionsFile: join(dir, 'protections.conf') };
  });
  admin = basic('admin', t.adminPassword);
  member = await t.addUser('mia', 'member-password', [{ namespace: 'billing', role: 'member' }]);
  reader = await t.addUser('rex', 'reader-password', [{ namespace: 'billing', role: 'reader' }]);
  image = await pushImage(t.app, admin, 'billing/app', 'v1', { annotations: { 'org.opencontainers.image.title': 'app' } });
});
afterAll(async () => t.close());

const patch = (authorization: string, body: unknown, contentType = 'application/json-patch+json', target = url) =>
  t.app.inject({ method: 'PATCH', url: target, headers: { authorization, 'content-type': contentType }, payload: typeof body === 'string' ? body : JSON.stringify(body) });
const read = (authorization: string, target = url) => t.app.inject({ method: 'GET', url: target, headers: { authorization } });
const pull = (authorization: string) => t.app.inject({ method: 'GET', url: '/v2/billing/app/manifests/v1', headers: { authorization } });
const names = (body: { properties: { name: string }[] }) => body.properties.map((p) => p.name);

describe('Glance scenario: a billing code set through the API', () => {
  it('an admin sets it; the member is then refused the pull, an admin and a reader are not', async () => {
    expect((await pull(member)).statusCode).toBe(200);
    const res = await patch(admin, [{ op: 'add', path: '/x_billing_code_ntt', value: 'ntt_3251' }]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ repository: 'billing/app', digest: image.digest });
    expect(res.json().properties).toContainEqual(expect.objectContaining({ name: 'x_billing_code_ntt', value: 'ntt_3251', source: 'property', updatedBy: 'user:admin' }));
    expect((await pull(member)).statusCode).toBe(403);
    expect((await pull(admin)).statusCode).toBe(200);
    expect((await pull(reader)).statusCode).toBe(200);
  });

  it('the member cannot delete or change the property: the protections say which section refused', async () => {
    for (const op of [{ op: 'remove', path: '/x_billing_code_ntt' }, { op: 'replace', path: '/x_billing_code_ntt', value: 'other' }]) {
      const res = await patch(member, [op]);
      expect(res.statusCode, JSON.stringify(op)).toBe(403);
      expect(res.json().errors[0]).toMatchObject({ code: 'DENIED' });
      expect(res.json().errors[0].message).toContain('^x_billing_code_.*');
    }
    // Nor create another billing code on an artifact.
    expect((await patch(member, [{ op: 'add', path: '/x_billing_code_abc', value: '1' }])).statusCode).toBe(403);
    expect((await pull(member)).statusCode).toBe(403);
  });

  it('a patch is all or nothing: an allowed change is not written when a later one is refused', async () => {
    const res = await patch(member, [
      { op: 'add', path: '/owner', value: 'mia' },
      { op: 'remove', path: '/x_billing_code_ntt' },
    ]);
    expect(res.statusCode).toBe(403);
    expect(names((await read(admin)).json())).not.toContain('owner');
  });

  it('the member may set unprotected properties', async () => {
    const res = await patch(member, [{ op: 'add', path: '/owner', value: 'mia' }]);
    expect(res.statusCode).toBe(200);
    expect(res.json().properties).toContainEqual(expect.objectContaining({ name: 'owner', value: 'mia', updatedBy: 'user:mia' }));
  });

  it('an admin removes the code and the member pulls again', async () => {
    expect((await patch(admin, [{ op: 'remove', path: '/x_billing_code_ntt' }])).statusCode).toBe(200);
    expect((await pull(member)).statusCode).toBe(200);
  });
});

describe('reading properties', () => {
  it('shows annotations and API properties, and hides what the caller may not read', async () => {
    expect((await patch(admin, [{ op: 'add', path: '/secret_cost_centre', value: '4711' }])).statusCode).toBe(200);
    expect(names((await read(admin)).json())).toEqual(['org.opencontainers.image.title', 'owner', 'secret_cost_centre']);
    const seen = (await read(member)).json();
    expect(names(seen)).toEqual(['org.opencontainers.image.title', 'owner']);
    expect(JSON.stringify(seen)).not.toContain('4711');
    expect((await read(admin)).json().properties[0]).toMatchObject({ source: 'annotation', value: 'app' });
  });

  it('a patch cannot tell a hidden property from a missing one', async () => {
    const hidden = await patch(member, [{ op: 'replace', path: '/secret_cost_centre', value: '1' }]);
    const missing = await patch(member, [{ op: 'replace', path: '/secret_nothing', value: '1' }]);
    expect(hidden.statusCode).toBe(409);
    expect(missing.statusCode).toBe(409);
    expect(hidden.json().errors[0].message.replaceAll('cost_centre', 'nothing')).toBe(missing.json().errors[0].message);
    // A member's unrelated change leaves the hidden property as it is.
    expect((await patch(member, [{ op: 'add', path: '/team', value: 'red' }])).statusCode).toBe(200);
    expect(names((await read(admin)).json())).toContain('secret_cost_centre');
  });

  it('by digest as by tag', async () => {
    const byDigest = await read(admin, `/api/v1/repositories/billing/app/artifacts/${image.digest}/properties`);
    expect(byDigest.statusCode).toBe(200);
    expect(names(byDigest.json())).toEqual(names((await read(admin)).json()));
  });
});

describe('bad requests are clear 4xx answers', () => {
  const cases: [string, () => ReturnType<typeof patch>, number, string][] = [
    ['not an array', () => patch(admin, { op: 'add' }), 400, 'JSON array'],
    ['not JSON', () => patch(admin, '[{"op":'), 400, 'not valid JSON'],
    ['an unknown op', () => patch(admin, [{ op: 'frobnicate', path: '/a', value: 'b' }]), 400, 'frobnicate'],
    ['a non-string value', () => patch(admin, [{ op: 'add', path: '/a', value: 5 }]), 400, 'string'],
    ['a nested path', () => patch(admin, [{ op: 'add', path: '/a/b', value: 'c' }]), 400, '/a/b'],
    ['removing what is not there', () => patch(admin, [{ op: 'remove', path: '/nothing' }]), 409, 'nothing'],
    ['changing an annotation', () => patch(admin, [{ op: 'replace', path: '/org.opencontainers.image.title', value: 'x' }]), 409, 'annotation'],
    ['the wrong media type', () => patch(admin, [], 'application/json'), 415, 'json-patch'],
    ['an unknown artifact', () => patch(admin, [], undefined, '/api/v1/repositories/billing/app/artifacts/nope/properties'), 404, 'manifest unknown'],
    ['a malformed path', () => patch(admin, [], undefined, '/api/v1/repositories/billing/app/properties'), 404, 'expected'],
    ['a bad repository name', () => patch(admin, [], undefined, '/api/v1/repositories/Bad..Name/artifacts/v1/properties'), 400, 'invalid repository name'],
  ];
  for (const [what, send, status, says] of cases) {
    it(what, async () => {
      const res = await send();
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().errors[0].message.toLowerCase()).toContain(says.toLowerCase());
    });
  }

  it('no credentials: 401 with a challenge; wrong ones: 401', async () => {
    const none = await t.app.inject({ method: 'GET', url });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Basic');
    expect((await read(basic('mia', 'wrong'))).statusCode).toBe(401);
  });

  it('a caller with no role in the namespace is refused reading (403)', async () => {
    const outsider = await t.addUser('olga', 'outsider-password', [{ namespace: 'elsewhere', role: 'admin' }]);
    const res = await read(outsider);
    expect(res.statusCode).toBe(403);
    expect(res.json().errors[0].detail).toMatchObject({ action: 'read_property' });
  });
});
