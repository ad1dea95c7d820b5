// IdentityAdmin over the real SQL store (in-memory SQLite): what the CLI and the admin API
// share. The front ends' own tests cover their wording, exit codes and statuses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityConflictError } from '../ports/identity-store.js';
import { IdentityAdmin, IdentityAdminError } from './identity-admin.js';
import { InvalidNameError } from './names.js';
import { PasswordPolicyError, verifyPassword } from './passwords.js';
import { openTestIdentityStore, type TestIdentityStore } from './testing/identity-store.js';

let opened: TestIdentityStore;
let admin: IdentityAdmin;
beforeEach(async () => {
  opened = await openTestIdentityStore();
  admin = new IdentityAdmin(opened.store);
});
afterEach(async () => opened.close());

const passwordOf = async (name: string) => (await opened.store.findUserByName(name))!.passwordHash;

describe('users', () => {
  it('creates with a generated password returned once, roles without repeats, and a view without the hash', async () => {
    const roles = [{ namespace: 'team', role: 'member' }, { namespace: '*', role: 'reader' }, { namespace: 'team', role: 'member' }];
    const { user, generatedPassword } = await admin.createUser({ name: 'alice', roles });
    expect(generatedPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await verifyPassword(await passwordOf('alice'), generatedPassword!)).toBe(true);
    expect(user).toEqual({ name: 'alice', disabled: false, roles: [{ namespace: '*', role: 'reader' }, { namespace: 'team', role: 'member' }], createdAt: expect.any(Date), updatedAt: expect.any(Date) });
    expect(JSON.stringify(await admin.listUsers())).not.toMatch(/argon2|passwordHash/);
  });

  it('returns no password when one was given, and refuses bad names, passwords and taken names', async () => {
    expect(await admin.createUser({ name: 'bob', password: 'a long passphrase' })).not.toHaveProperty('generatedPassword');
    await expect(admin.createUser({ name: 'Bob' })).rejects.toBeInstanceOf(InvalidNameError);
    await expect(admin.createUser({ name: 'carol', password: 'short' })).rejects.toBeInstanceOf(PasswordPolicyError);
    await expect(admin.createUser({ name: 'carol', roles: [{ namespace: 'Team', role: 'x' }] })).rejects.toBeInstanceOf(InvalidNameError);
    await expect(admin.createUser({ name: 'bob' })).rejects.toBeInstanceOf(IdentityConflictError);
    expect((await admin.listUsers()).map((user) => user.name)).toEqual(['bob']);
  });

  it('sets passwords, disables idempotently, deletes with the robots; unknown names are not_found', async () => {
    await admin.createUser({ name: 'bob', password: 'first password' });
    const { generatedPassword } = await admin.setPassword('bob');
    expect(await verifyPassword(await passwordOf('bob'), generatedPassword!)).toBe(true);
    expect(await admin.setPassword('bob', 'second password')).not.toHaveProperty('generatedPassword');
    expect((await admin.setDisabled('bob', true)).changed).toBe(true);
    expect(await admin.setDisabled('bob', true)).toMatchObject({ changed: false, user: { disabled: true } });
    await admin.createRobot({ name: 'ci', owner: 'bob' });
    expect(await admin.deleteUser('bob')).toEqual({ robots: ['ci'] });
    await expect(admin.getUser('bob')).rejects.toMatchObject({ failure: 'not_found', message: 'unknown user "bob"' });
  });
});

describe('robots', () => {
  beforeEach(async () => {
    await admin.createUser({ name: 'bob' });
  });

  it('creates with roles and a token; lists without secrets; filters by owner', async () => {
    const { robot, token } = await admin.createRobot({ name: 'ci', owner: 'bob', description: 'CI', roles: [{ namespace: 'team', role: 'maintainer' }] });
    expect(token).toMatch(/^sgr_/);
    expect(robot).toMatchObject({ name: 'ci', owner: 'bob', description: 'CI', roles: [{ namespace: 'team', role: 'maintainer' }], expiresAt: null });
    expect(JSON.stringify(await admin.listRobots('bob'))).not.toContain(token.slice(-43));
    await expect(admin.listRobots('nobody')).rejects.toBeInstanceOf(IdentityAdminError);
    await expect(admin.createRobot({ name: 'x', owner: 'nobody' })).rejects.toMatchObject({ failure: 'not_found' });
  });

  it('regenerates: keeps the expiry unless it has passed, then asks for one', async () => {
    const now = new Date();
    const soon = new Date(now.getTime() + 60_000);
    const { token } = await admin.createRobot({ name: 'ci', owner: 'bob', expiresAt: soon });
    const kept = await admin.regenerateRobotToken('ci', undefined, now);
    expect([kept.token === token, kept.robot.expiresAt]).toEqual([false, soon]);
    const later = new Date(now.getTime() + 120_000);
    await expect(admin.regenerateRobotToken('ci', undefined, later)).rejects.toMatchObject({ failure: 'invalid', message: expect.stringMatching(/expired at/) });
    expect((await admin.regenerateRobotToken('ci', null, later)).robot.expiresAt).toBeNull();
  });
});

describe('role bindings', () => {
  it('binds by name, lists with filters, unbinds; unbinding nothing is not_found', async () => {
    await admin.createUser({ name: 'bob' });
    await admin.createRobot({ name: 'ci', owner: 'bob' });
    expect(await admin.bind({ principal: { kind: 'robot', name: 'ci' }, namespace: 'team', role: 'maintainer' })).toBe(true);
    expect(await admin.bind({ principal: { kind: 'robot', name: 'ci' }, namespace: 'team', role: 'maintainer' })).toBe(false);
    await admin.bind({ principal: { kind: 'user', name: 'bob' }, namespace: '*', role: 'reader' });
    expect(await admin.listBindings({ namespace: 'team' })).toEqual([{ kind: 'robot', name: 'ci', namespace: 'team', role: 'maintainer' }]);
    expect(await admin.listBindings({ principal: { kind: 'user', name: 'bob' } })).toEqual([{ kind: 'user', name: 'bob', namespace: '*', role: 'reader' }]);
    await admin.unbind({ principal: { kind: 'user', name: 'bob' }, namespace: '*', role: 'reader' });
    await expect(admin.unbind({ principal: { kind: 'user', name: 'bob' }, namespace: '*', role: 'reader' })).rejects.toMatchObject({
      failure: 'not_found',
      message: 'user bob has no role reader in *',
    });
    await expect(admin.bind({ principal: { kind: 'robot', name: 'bob' }, namespace: 'team', role: 'reader' })).rejects.toMatchObject({ message: 'unknown robot "bob"' });
  });
});

describe('signing keys', () => {
  it('rotates and lists newest first with when retired keys stop verifying; no private parts', async () => {
    const first = await admin.rotateSigningKey();
    const second = await admin.rotateSigningKey();
    const keys = await admin.listSigningKeys();
    expect(keys.map((key) => [key.kid, key.current])).toEqual([[second.kid, true], [first.kid, false]]);
    expect(keys[1]!.verifiesUntil!.getTime() - keys[1]!.retiredAt!.getTime()).toBeGreaterThan(3600_000);
    expect(JSON.stringify(keys)).not.toMatch(/"d"|private/i);
    expect(await admin.pruneSigningKeys()).toBe(0);
  });
});
