// Who may use /admin: the admin token always; with auth on, users, robots and registry
// tokens whose global roles pass the `admin` rule; everyone else a 401 or a 403. The actor
// the guard names is the one audit entries record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityAdmin } from '../../auth/identity-admin.js';
import type { Digest } from '../../domain/digest.js';
import { basic } from '../auth/testing/auth-app.js';
import { startAdminTestApp, type AdminTestApp } from './testing/admin-app.js';

const digest = `sha256:${'ab'.repeat(32)}` as Digest;

describe('the admin API with auth on', () => {
  let t: AdminTestApp;
  let alice: string;
  let reader: string;
  let robot: string;
  beforeAll(async () => {
    t = await startAdminTestApp();
    const admin = new IdentityAdmin(t.services.identity);
    await admin.createUser({ name: 'alice', password: 'alice password', roles: [{ namespace: '*', role: 'admin' }] });
    await admin.createUser({ name: 'rita', password: 'rita password', roles: [{ namespace: '*', role: 'reader' }, { namespace: 'team', role: 'admin' }] });
    const { token } = await admin.createRobot({ name: 'ops', owner: 'alice', roles: [{ namespace: '*', role: 'admin' }] });
    alice = basic('alice', 'alice password');
    reader = basic('rita', 'rita password');
    robot = basic('ops', token);
  });
  afterAll(async () => t.close());

  const get = (authorization?: string) => t.app.inject({ method: 'GET', url: '/admin/users', headers: authorization ? { authorization } : {} });
  const tokenFor = async (authorization: string) => `Bearer ${(await t.app.inject({ method: 'GET', url: '/token', headers: { authorization } })).json().token}`;

  it('admits the admin token, an admin user, an admin robot and a registry token of an admin', async () => {
    for (const authorization of [`Bearer ${t.adminToken}`, alice, robot, basic('admin', t.adminPassword!), await tokenFor(alice)]) {
      expect((await get(authorization)).statusCode, authorization.slice(0, 12)).toBe(200);
    }
  });

  it('refuses a caller who is no admin with 403 DENIED naming the admin rule, also with a registry token', async () => {
    for (const authorization of [reader, await tokenFor(reader)]) {
      const res = await get(authorization);
      expect(res.statusCode).toBe(403);
      const [error] = res.json().errors;
      expect(error).toMatchObject({ code: 'DENIED', detail: { action: 'admin', reason: expect.stringContaining('rule "admin"') } });
      expect(error.message).toMatch(/^the admin API is denied to user:rita: /);
    }
  });

  it('answers 401 with challenges for both schemes without credentials or with bad ones', async () => {
    const wrongPassword = basic('alice', 'not her password');
    for (const authorization of [undefined, wrongPassword, basic('nobody', 'x'), 'Bearer not-a-token', `Bearer ${t.adminToken}x`, 'Digest abc']) {
      const res = await get(authorization);
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="scangate-admin", Bearer realm="scangate-admin"');
      expect(res.json().errors[0].code).toBe('UNAUTHORIZED');
    }
  });

  it.each([
    ['GET', '/admin/users'],
    ['POST', '/admin/users'],
    ['GET', '/admin/users/alice'],
    ['PATCH', '/admin/users/alice'],
    ['DELETE', '/admin/users/alice'],
    ['GET', '/admin/robots'],
    ['POST', '/admin/robots'],
    ['DELETE', '/admin/robots/ops'],
    ['POST', '/admin/robots/ops/token'],
    ['GET', '/admin/role-bindings'],
    ['POST', '/admin/role-bindings'],
    ['DELETE', '/admin/role-bindings'],
    ['GET', '/admin/signing-keys'],
    ['POST', '/admin/signing-keys/rotate'],
  ] as const)('%s %s refuses 401 without credentials and 403 to a reader', async (method, url) => {
    expect((await t.app.inject({ method, url })).statusCode).toBe(401);
    expect((await t.app.inject({ method, url, headers: { authorization: reader } })).statusCode).toBe(403);
  });

  it('refuses a registry token whose subject has been disabled since, and an anonymous token', async () => {
    const admin = new IdentityAdmin(t.services.identity);
    await admin.createUser({ name: 'dora', password: 'dora password', roles: [{ namespace: '*', role: 'admin' }] });
    const token = await tokenFor(basic('dora', 'dora password'));
    expect((await get(token)).statusCode).toBe(200);
    await admin.setDisabled('dora', true);
    expect((await get(token)).statusCode).toBe(401);
    const anonymous = await t.access!.deps.tokens.issue({ subject: 'user:-anonymous', access: [], service: 'scangate' });
    expect((await get(`Bearer ${anonymous.token}`)).statusCode).toBe(401);
  });

  it('names the caller in audit entries: user:NAME, robot:NAME, or admin for the admin token', async () => {
    await t.services.quarantine.admit(digest, 'blob');
    const release = (authorization: string) =>
      t.app.inject({ method: 'POST', url: `/admin/quarantine/${digest}/release`, headers: { authorization }, payload: { reason: 'false positive' } });
    expect((await release(alice)).json()).toMatchObject({ state: 'clean', decidedBy: 'admin:user:alice' });
    expect((await release(robot)).statusCode).toBe(200);
    const rescan = await t.app.inject({ method: 'POST', url: `/admin/quarantine/${digest}/rescan`, headers: { authorization: `Bearer ${t.adminToken}` }, payload: { reason: 'check again' } });
    expect(rescan.statusCode).toBe(200);
    const audit = (await t.app.inject({ method: 'GET', url: `/admin/audit?digest=${digest}`, headers: { authorization: robot } })).json().entries;
    expect(audit.map((entry: { action: string; actor: string }) => [entry.action, entry.actor])).toEqual(
      expect.arrayContaining([
        ['release', 'user:alice'],
        ['rescan', 'admin'],
      ]),
    );
  });

  it('never logs the credentials it was given (though it logs the refusals)', async () => {
    expect(t.logs()).toContain('admin API refused the credentials');
    expect(t.logs()).not.toContain('alice password');
    expect(t.logs()).not.toContain(t.adminToken);
  });
});

describe('the admin API with auth off', () => {
  let t: AdminTestApp;
  beforeAll(async () => {
    t = await startAdminTestApp({ enabled: false });
  });
  afterAll(async () => t.close());

  it('takes the admin token alone, as before', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/admin/users', headers: { authorization: `Bearer ${t.adminToken}` } })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'GET', url: '/admin/users', headers: { authorization: basic('admin', 'whatever1') } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="scangate-admin"');
    expect(res.json().errors[0].message).toMatch(/DATA\/admin-token/);
  });
});
