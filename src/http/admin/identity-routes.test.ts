// The identity admin API through app.inject(): users, robots, role bindings and signing
// keys; secrets shown once and never logged; bad input 400, unknown names 404, taken 409.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic } from '../auth/testing/auth-app.js';
import { startAdminTestApp, type AdminTestApp } from './testing/admin-app.js';

let t: AdminTestApp;
beforeEach(async () => {
  t = await startAdminTestApp();
});
afterEach(async () => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, payload?: unknown, authorization = `Bearer ${t.adminToken}`) =>
  t.app.inject({ method, url, headers: { authorization }, ...(payload === undefined ? {} : { payload: payload as object }) });
const tokenStatus = async (name: string, secret: string) => (await t.app.inject({ method: 'GET', url: '/token', headers: { authorization: basic(name, secret) } })).statusCode;

describe('users', () => {
  it('creates a user with a generated password returned once, which works for /token and is never logged', async () => {
    const created = await call('POST', '/admin/users', { name: 'alice', roles: [{ namespace: 'team', role: 'member' }] });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { user, password } = created.json();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(user).toEqual({ name: 'alice', disabled: false, roles: [{ namespace: 'team', role: 'member' }], createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect(await tokenStatus('alice', password)).toBe(200);

    const listed = await call('GET', '/admin/users');
    expect(listed.json().users.map((u: { name: string }) => u.name)).toEqual(['admin', 'alice']);
    expect(listed.body + (await call('GET', '/admin/users/alice')).body).not.toMatch(new RegExp(`${password}|argon2|passwordHash`));
    expect(t.logs()).toContain('"url":"/admin/users"'); // the log is kept, and holds requests
    expect(t.logs()).not.toContain(password);
  });

  it('takes a chosen password (not echoed, not logged), changes it and disables with PATCH, deletes with the robots', async () => {
    const created = await call('POST', '/admin/users', { name: 'bob', password: 'a chosen passphrase' });
    expect([created.statusCode, created.json().password]).toEqual([201, undefined]);
    expect(await tokenStatus('bob', 'a chosen passphrase')).toBe(200);

    expect((await call('PATCH', '/admin/users/bob', { password: 'another passphrase' })).json().user.disabled).toBe(false);
    expect(await tokenStatus('bob', 'a chosen passphrase')).toBe(401);
    expect(await tokenStatus('bob', 'another passphrase')).toBe(200);
    expect((await call('PATCH', '/admin/users/bob', { disabled: true })).json().user.disabled).toBe(true);
    expect(await tokenStatus('bob', 'another passphrase')).toBe(401);

    await call('POST', '/admin/robots', { name: 'ci', owner: 'bob' });
    expect((await call('DELETE', '/admin/users/bob')).json()).toEqual({ deleted: 'user:bob', robots: ['ci'] });
    expect((await call('GET', '/admin/users/bob')).statusCode).toBe(404);
    expect((await call('GET', '/admin/robots')).json().robots).toEqual([]);
    for (const secret of ['a chosen passphrase', 'another passphrase']) expect(t.logs()).not.toContain(secret);
  });

  it.each([
    ['POST', '/admin/users', { name: 'Alice' }, 400, 'NAME_INVALID', /invalid user or robot name "Alice"/],
    ['POST', '/admin/users', { name: 'carol', password: 'short' }, 400, 'UNSUPPORTED', /at least 8 characters/],
    ['POST', '/admin/users', { name: 'carol', role: 'admin' }, 400, 'UNSUPPORTED', /invalid body: .*role/],
    ['POST', '/admin/users', { name: 'carol', roles: [{ namespace: 'Team', role: 'x' }] }, 400, 'NAME_INVALID', /invalid namespace name "Team"/],
    ['POST', '/admin/users', { password: 'no name here' }, 400, 'UNSUPPORTED', /invalid body: name/],
    ['POST', '/admin/users', { name: 'admin' }, 409, 'UNSUPPORTED', /user admin exists already/],
    ['PATCH', '/admin/users/admin', {}, 400, 'UNSUPPORTED', /give password, disabled or both/],
    ['PATCH', '/admin/users/admin', { disabled: 'yes' }, 400, 'UNSUPPORTED', /disabled/],
    ['PATCH', '/admin/users/nobody', { disabled: true }, 404, 'NAME_UNKNOWN', /unknown user "nobody"/],
    ['DELETE', '/admin/users/nobody', undefined, 404, 'NAME_UNKNOWN', /unknown user "nobody"/],
    ['GET', '/admin/users/NoBody', undefined, 400, 'NAME_INVALID', /invalid user or robot name/],
  ] as const)('%s %s %j -> %i %s', async (method, url, payload, status, code, message) => {
    const res = await call(method, url, payload);
    expect(res.statusCode).toBe(status);
    expect(res.json().errors[0]).toMatchObject({ code, message: expect.stringMatching(message) });
  });
});

it('answers a body that is not JSON with a 4xx in the registry shape', async () => {
  const send = (contentType: string, payload: string) =>
    t.app.inject({ method: 'POST', url: '/admin/users', headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': contentType }, payload });
  const malformed = await send('application/json', '{"name": "carol", "password": "a secret value');
  expect([malformed.statusCode, malformed.json().errors[0].code]).toEqual([400, 'UNSUPPORTED']);
  expect((await send('text/plain', 'carol')).statusCode).toBe(400);
  expect(t.logs()).not.toContain('a secret value');
});

describe('robots', () => {
  beforeEach(async () => {
    await call('POST', '/admin/users', { name: 'bob', password: 'bob password' });
  });

  it('creates a robot with roles and returns its token once; rotating replaces it', async () => {
    const before = Date.now();
    const created = await call('POST', '/admin/robots', { name: 'ci', owner: 'bob', description: 'CI pushes', expiresInDays: 90, roles: [{ namespace: 'team', role: 'maintainer' }] });
    expect(created.statusCode).toBe(201);
    const { robot, token } = created.json();
    expect(robot).toMatchObject({ name: 'ci', owner: 'bob', description: 'CI pushes', roles: [{ namespace: 'team', role: 'maintainer' }], lastUsedAt: null });
    expect(Date.parse(robot.expiresAt) - before).toBeGreaterThanOrEqual(90 * 86_400_000 - 1000);
    expect(await tokenStatus('ci', token)).toBe(200);
    expect((await call('GET', '/admin/robots?owner=bob')).body).not.toContain(token.slice(-43));

    const rotated = await call('POST', '/admin/robots/ci/token');
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().robot.expiresAt).toBe(robot.expiresAt);
    expect(await tokenStatus('ci', token)).toBe(401);
    expect(await tokenStatus('ci', rotated.json().token)).toBe(200);
    expect((await call('POST', '/admin/robots/ci/token', { expiresInDays: null })).json().robot.expiresAt).toBeNull();
    expect(t.logs()).not.toContain(token.slice(-43));

    expect((await call('DELETE', '/admin/robots/ci')).json()).toEqual({ deleted: 'robot:ci' });
    expect((await call('DELETE', '/admin/robots/ci')).statusCode).toBe(404);
  });

  it.each([
    [{ name: 'ci' }, 400, /owner/],
    [{ name: 'ci', owner: 'nobody' }, 404, /unknown user "nobody"/],
    [{ name: 'ci', owner: 'bob', expiresInDays: 0 }, 400, /expiresInDays/],
    [{ name: 'ci', owner: 'bob', expiresInDays: '90d' }, 400, /expiresInDays/],
    [{ name: 'ci', owner: 'bob', roles: [{ namespace: 'team', role: '9lives' }] }, 400, /invalid role name/],
  ])('refuses %j with %i', async (payload, status, message) => {
    const res = await call('POST', '/admin/robots', payload);
    expect([res.statusCode, res.json().errors[0].message]).toEqual([status, expect.stringMatching(message)]);
    expect((await call('GET', '/admin/robots')).json().robots).toEqual([]);
  });

  it('refuses to keep an expiry that has passed, and a taken name', async () => {
    const robot = (await call('POST', '/admin/robots', { name: 'ci', owner: 'bob', expiresInDays: 1 })).json().robot;
    const stored = (await t.services.identity.findRobotByName('ci'))!;
    await t.services.identity.setRobotToken(stored.id, stored.tokenHash, new Date(Date.now() - 1000));
    const kept = await call('POST', '/admin/robots/ci/token');
    expect([kept.statusCode, kept.json().errors[0].message]).toEqual([400, expect.stringMatching(/expired at .*: give the new token an expiry/)]);
    expect((await call('POST', '/admin/robots/ci/token', { expiresInDays: 1 })).statusCode).toBe(200);
    expect((await call('POST', '/admin/robots', { name: robot.name, owner: 'bob' })).statusCode).toBe(409);
  });
});

describe('role bindings', () => {
  it('binds, lists with filters, and unbinds by body or query', async () => {
    await call('POST', '/admin/users', { name: 'bob', password: 'bob password' });
    await call('POST', '/admin/robots', { name: 'ci', owner: 'bob' });
    const bind = (payload: unknown) => call('POST', '/admin/role-bindings', payload);
    const first = await bind({ principal: 'robot:ci', namespace: 'team', role: 'maintainer' });
    expect([first.statusCode, first.json()]).toEqual([201, { binding: { kind: 'robot', name: 'ci', namespace: 'team', role: 'maintainer' }, created: true }]);
    expect((await bind({ principal: 'robot:ci', namespace: 'team', role: 'maintainer' })).statusCode).toBe(200);
    await bind({ principal: 'user:bob', namespace: '*', role: 'reader' });

    const list = async (query: string) => (await call('GET', `/admin/role-bindings${query}`)).json().bindings;
    expect(await list('?namespace=team')).toEqual([{ kind: 'robot', name: 'ci', namespace: 'team', role: 'maintainer' }]);
    expect(await list('?principal=user:bob')).toEqual([{ kind: 'user', name: 'bob', namespace: '*', role: 'reader' }]);
    expect((await list('')).length).toBe(3); // with the first-start admin's *:admin

    expect((await call('DELETE', '/admin/role-bindings', { principal: 'user:bob', namespace: '*', role: 'reader' })).statusCode).toBe(200);
    expect((await call('DELETE', '/admin/role-bindings?principal=robot:ci&namespace=team&role=maintainer')).statusCode).toBe(200);
    const again = await call('DELETE', '/admin/role-bindings?principal=robot:ci&namespace=team&role=maintainer');
    expect([again.statusCode, again.json().errors[0].message]).toEqual([404, 'robot ci has no role maintainer in team']);
    expect(await list('?principal=robot:ci')).toEqual([]);
  });

  it.each([
    [{ principal: 'bob', namespace: 'team', role: 'member' }, 400, /give user:NAME or robot:NAME/],
    [{ principal: 'group:x', namespace: 'team', role: 'member' }, 400, /give user:NAME or robot:NAME/],
    [{ principal: 'user:bob', namespace: 'team' }, 400, /role/],
    [{ principal: 'user:nobody', namespace: 'team', role: 'member' }, 404, /unknown user "nobody"/],
    [{ principal: 'user:admin', namespace: 'a/b', role: 'member' }, 400, /invalid namespace name/],
  ])('refuses %j with %i', async (payload, status, message) => {
    const res = await call('POST', '/admin/role-bindings', payload);
    expect([res.statusCode, res.json().errors[0].message]).toEqual([status, expect.stringMatching(message)]);
  });
});

describe('signing keys', () => {
  it('lists kids and dates without key material, and rotates', async () => {
    expect((await call('GET', '/admin/signing-keys')).json()).toEqual({ keys: [] });
    const rotated = await call('POST', '/admin/signing-keys/rotate');
    expect(rotated.statusCode).toBe(201);
    const first = rotated.json().key;
    expect(first).toMatchObject({ kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), algorithm: 'EdDSA', current: true, retiredAt: null });
    const second = (await call('POST', '/admin/signing-keys/rotate')).json().key;
    const listed = await call('GET', '/admin/signing-keys');
    expect(listed.json().keys.map((key: { kid: string; current: boolean }) => [key.kid, key.current])).toEqual([[second.kid, true], [first.kid, false]]);
    expect(listed.body).not.toMatch(/"d"|"x"|private/i);
  });
});
