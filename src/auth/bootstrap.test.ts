import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator } from './authenticate.js';
import { bootstrapInitialAdmin } from './bootstrap.js';
import { hashPassword } from './passwords.js';
import { openTestIdentityStore, type TestIdentityStore } from './testing/identity-store.js';
import { RegistryTokenService } from './token-service.js';

describe('bootstrapInitialAdmin', () => {
  let identity: TestIdentityStore;
  let dataDir: string;

  beforeEach(async () => {
    identity = await openTestIdentityStore();
    dataDir = join(await mkdtemp(join(tmpdir(), 'scangate-bootstrap-')), 'data');
  });
  afterEach(async () => {
    await identity.close();
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  const readPassword = async (file: string) => (await readFile(file, 'utf8')).trim();
  const login = (password: string) =>
    new Authenticator({ store: identity.store, tokens: new RegistryTokenService(identity.store, { issuer: 'x' }), service: 's' }).login('admin', password);

  it('creates admin, bound to role admin on *, with a password written once to a 0600 file', async () => {
    const result = await bootstrapInitialAdmin(identity.store, dataDir);
    const passwordFile = join(dataDir, 'initial-admin-password');
    expect(result).toEqual({ created: true, name: 'admin', passwordFile });
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
    const password = await readPassword(passwordFile);
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const admin = await login(password);
    expect(admin).toMatchObject({ kind: 'user', name: 'admin' });
    expect(await identity.store.rolesFor({ kind: 'user', id: admin.id }, 'any-namespace')).toEqual(['admin']);
    expect(await readdir(dataDir)).toEqual(['initial-admin-password']);
  });

  it('does nothing the second time, and leaves the file as it was', async () => {
    const first = await bootstrapInitialAdmin(identity.store, dataDir);
    const password = first.created ? await readPassword(first.passwordFile) : '';
    expect(await bootstrapInitialAdmin(identity.store, dataDir)).toEqual({ created: false });
    expect(await readPassword(join(dataDir, 'initial-admin-password'))).toBe(password);
    expect(await identity.store.countUsers()).toBe(1);
  });

  it('does nothing when any user exists', async () => {
    await identity.store.createUser({ name: 'alice', passwordHash: await hashPassword('alice-password') });
    expect(await bootstrapInitialAdmin(identity.store, dataDir)).toEqual({ created: false });
    expect(await identity.store.findUserByName('admin')).toBeUndefined();
  });

  it('creates one admin when several starts race, and the file holds its password', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => bootstrapInitialAdmin(identity.store, dataDir)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await identity.store.countUsers()).toBe(1);
    expect(await readdir(dataDir)).toEqual(['initial-admin-password']);
    await expect(login(await readPassword(join(dataDir, 'initial-admin-password')))).resolves.toMatchObject({ name: 'admin' });
  });
});
