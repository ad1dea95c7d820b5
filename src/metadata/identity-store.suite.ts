// The IdentityStore conformance suite: every adapter's test file hands it a factory and runs
// it unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import {
  IdentityConflictError,
  IdentityNotFoundError,
  type IdentityStore,
  type NewSigningKey,
  type PrincipalRef,
  type UserRecord,
} from '../ports/identity-store.js';

export interface IdentityStoreHarness {
  /** A store over this harness's migrated database, stamping records with `clock`. Once per test. */
  open(clock: () => Date): Promise<IdentityStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type IdentityStoreFactory = () => Promise<IdentityStoreHarness>;

const minute = 60_000;
const hash = (label: string) => `$argon2id$v=19$m=19456,t=2,p=1$${label}`;
const key = (kid: string): NewSigningKey => ({ kid, algorithm: 'EdDSA', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: kid }, privateJwk: `{"d":"${kid}"}` });

export function identityStoreSuite(name: string, factory: IdentityStoreFactory): void {
  describe(`IdentityStore: ${name}`, () => {
    let harness: IdentityStoreHarness;
    let clock: TestClock;
    let store: IdentityStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    const user = (userName: string, bindings: { namespace: string; role: string }[] = []) =>
      store.createUser({ name: userName, passwordHash: hash(userName) }, bindings);
    const robot = (robotName: string, owner: UserRecord) => store.createRobot({ name: robotName, ownerId: owner.id, tokenHash: `sha256-${robotName}` });
    const asUser = (record: UserRecord): PrincipalRef => ({ kind: 'user', id: record.id });

    describe('users', () => {
      it('creates, finds by id and name, lists in byte order and counts', async () => {
        const bob = await user('bob');
        const alice = await user('alice');
        await user('Zed');
        expect(bob).toEqual({ id: expect.any(String), name: 'bob', passwordHash: hash('bob'), disabled: false, createdAt: clock.now(), updatedAt: clock.now() });
        expect(await store.getUser(bob.id)).toEqual(bob);
        expect(await store.findUserByName('alice')).toEqual(alice);
        expect(await store.findUserByName('carol')).toBeUndefined();
        expect(await store.getUser('no-such-id')).toBeUndefined();
        expect((await store.listUsers()).map((u) => u.name)).toEqual(['Zed', 'alice', 'bob']);
        expect(await store.countUsers()).toBe(3);
      });

      it('refuses a taken name and leaves the first user and its bindings as they were', async () => {
        const first = await user('alice', [{ namespace: 'team', role: 'member' }]);
        await expect(user('alice', [{ namespace: '*', role: 'admin' }])).rejects.toBeInstanceOf(IdentityConflictError);
        expect(await store.listUsers()).toEqual([first]);
        expect(await store.listBindings()).toEqual([{ principal: asUser(first), namespace: 'team', role: 'member' }]);
      });

      it('lets exactly one of many racing creations of a name win', async () => {
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => user('alice')));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(IdentityConflictError);
        expect(await store.countUsers()).toBe(1);
      });

      it('creates a user with its bindings in one step', async () => {
        const admin = await user('admin', [{ namespace: '*', role: 'admin' }]);
        expect(await store.rolesFor(asUser(admin), 'anything')).toEqual(['admin']);
      });

      it('updates the password hash and the disabled flag, stamping updatedAt', async () => {
        const alice = await user('alice');
        clock.advance(minute);
        const disabled = await store.updateUser(alice.id, { disabled: true });
        expect(disabled).toEqual({ ...alice, disabled: true, updatedAt: clock.now() });
        const rehashed = await store.updateUser(alice.id, { passwordHash: hash('new') });
        expect(rehashed).toEqual({ ...alice, disabled: true, passwordHash: hash('new'), updatedAt: clock.now() });
        expect(await store.updateUser('no-such-id', { disabled: false })).toBeUndefined();
      });

      it('deletes a user with its robots and every binding of both', async () => {
        const alice = await user('alice', [{ namespace: 'team', role: 'maintainer' }]);
        const bob = await user('bob', [{ namespace: 'team', role: 'reader' }]);
        const ci = await robot('ci', alice);
        const bobs = await robot('bobs-ci', bob);
        await store.bind({ principal: { kind: 'robot', id: ci.id }, namespace: 'team', role: 'member' });
        expect(await store.deleteUser(alice.id)).toBe(true);
        expect(await store.deleteUser(alice.id)).toBe(false);
        expect(await store.getUser(alice.id)).toBeUndefined();
        expect(await store.getRobot(ci.id)).toBeUndefined();
        expect(await store.listRobots()).toEqual([bobs]);
        expect(await store.listBindings()).toEqual([{ principal: asUser(bob), namespace: 'team', role: 'reader' }]);
      });
    });

    describe('robots', () => {
      it('creates, finds, lists by owner and refuses a taken name or a missing owner', async () => {
        const alice = await user('alice');
        const bob = await user('bob');
        const deploy = await store.createRobot({ name: 'deploy', ownerId: alice.id, description: 'CD', tokenHash: 'h1', expiresAt: new Date(clock.now().getTime() + minute) });
        const ci = await robot('ci', bob);
        expect(deploy).toEqual({
          id: expect.any(String),
          name: 'deploy',
          ownerId: alice.id,
          description: 'CD',
          tokenHash: 'h1',
          expiresAt: new Date(clock.now().getTime() + minute),
          lastUsedAt: null,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        });
        expect(ci).toMatchObject({ description: '', expiresAt: null });
        expect(await store.getRobot(ci.id)).toEqual(ci);
        expect(await store.findRobotByName('deploy')).toEqual(deploy);
        expect(await store.listRobots()).toEqual([ci, deploy]);
        expect(await store.listRobots(alice.id)).toEqual([deploy]);
        await expect(robot('ci', alice)).rejects.toBeInstanceOf(IdentityConflictError);
        await expect(store.createRobot({ name: 'orphan', ownerId: 'no-such-user', tokenHash: 'h' })).rejects.toBeInstanceOf(IdentityNotFoundError);
      });

      it('lets a robot have the name of a user: principals are typed', async () => {
        const alice = await user('alice');
        await expect(robot('alice', alice)).resolves.toMatchObject({ name: 'alice' });
      });

      it('replaces a token and its expiry', async () => {
        const ci = await robot('ci', await user('alice'));
        clock.advance(minute);
        const expiresAt = new Date(clock.now().getTime() + 60 * minute);
        expect(await store.setRobotToken(ci.id, 'h2', expiresAt)).toEqual({ ...ci, tokenHash: 'h2', expiresAt, updatedAt: clock.now() });
        expect(await store.setRobotToken(ci.id, 'h3', null)).toMatchObject({ tokenHash: 'h3', expiresAt: null });
        expect(await store.setRobotToken('no-such-id', 'h', null)).toBeUndefined();
      });

      it('records uses without moving lastUsedAt backwards', async () => {
        const ci = await robot('ci', await user('alice'));
        const later = new Date(clock.now().getTime() + 2 * minute);
        await store.touchRobot(ci.id, later);
        await store.touchRobot(ci.id, new Date(clock.now().getTime() + minute));
        expect((await store.getRobot(ci.id))?.lastUsedAt).toEqual(later);
      });

      it('deletes a robot with its bindings', async () => {
        const alice = await user('alice');
        const ci = await robot('ci', alice);
        await store.bind({ principal: { kind: 'robot', id: ci.id }, namespace: 'team', role: 'member' });
        expect(await store.deleteRobot(ci.id)).toBe(true);
        expect(await store.deleteRobot(ci.id)).toBe(false);
        expect(await store.listBindings()).toEqual([]);
        expect(await store.getUser(alice.id)).toEqual(alice);
      });
    });

    describe('role bindings', () => {
      it('binds once, unbinds once, and refuses a principal that does not exist', async () => {
        const alice = asUser(await user('alice'));
        const binding = { principal: alice, namespace: 'team', role: 'member' };
        expect(await store.bind(binding)).toBe(true);
        expect(await store.bind(binding)).toBe(false);
        expect(await store.listBindings()).toEqual([binding]);
        expect(await store.unbind(binding)).toBe(true);
        expect(await store.unbind(binding)).toBe(false);
        await expect(store.bind({ principal: { kind: 'user', id: 'ghost' }, namespace: 'team', role: 'member' })).rejects.toBeInstanceOf(IdentityNotFoundError);
        await expect(store.bind({ principal: { kind: 'robot', id: alice.id }, namespace: 'team', role: 'member' })).rejects.toBeInstanceOf(IdentityNotFoundError);
      });

      it('answers the roles in a namespace from bindings there and on *, sorted, without repeats', async () => {
        const alice = asUser(await user('alice'));
        for (const [namespace, role] of [['team', 'member'], ['*', 'reader'], ['team', 'auditor'], ['*', 'member'], ['other', 'admin']] as const) {
          await store.bind({ principal: alice, namespace, role });
        }
        expect(await store.rolesFor(alice, 'team')).toEqual(['auditor', 'member', 'reader']);
        expect(await store.rolesFor(alice, 'elsewhere')).toEqual(['member', 'reader']);
        expect(await store.rolesFor({ kind: 'robot', id: alice.id }, 'team')).toEqual([]);
      });

      it('filters bindings by principal, namespace and role', async () => {
        const alice = asUser(await user('alice'));
        const bob = asUser(await user('bob'));
        await store.bind({ principal: alice, namespace: 'team', role: 'member' });
        await store.bind({ principal: alice, namespace: 'ops', role: 'admin' });
        await store.bind({ principal: bob, namespace: 'team', role: 'reader' });
        expect(await store.listBindings({ principal: alice })).toEqual([
          { principal: alice, namespace: 'ops', role: 'admin' },
          { principal: alice, namespace: 'team', role: 'member' },
        ]);
        expect((await store.listBindings({ namespace: 'team' })).map((b) => b.role).sort()).toEqual(['member', 'reader']);
        expect(await store.listBindings({ namespace: 'team', role: 'reader' })).toEqual([{ principal: bob, namespace: 'team', role: 'reader' }]);
      });
    });

    describe('signing keys', () => {
      it('makes each rotated key current and retires the previous one at that moment', async () => {
        expect(await store.currentSigningKey()).toBeUndefined();
        const first = await store.rotateSigningKey(key('k1'));
        expect(first).toEqual({ ...key('k1'), createdAt: clock.now(), retiredAt: null });
        expect(await store.currentSigningKey()).toEqual(first);
        clock.advance(minute);
        const second = await store.rotateSigningKey(key('k2'));
        expect(await store.currentSigningKey()).toEqual(second);
        expect(await store.getSigningKey('k1')).toEqual({ ...first, retiredAt: clock.now() });
        expect(await store.getSigningKey('nope')).toBeUndefined();
      });

      it('lists the current key and the recently retired ones for verification, and prunes old ones', async () => {
        await store.rotateSigningKey(key('k1'));
        clock.advance(minute);
        await store.rotateSigningKey(key('k2'));
        clock.advance(10 * minute);
        await store.rotateSigningKey(key('k3'));
        const since = (ago: number) => new Date(clock.now().getTime() - ago);
        expect((await store.verificationKeys(since(5 * minute))).map((k) => k.kid)).toEqual(['k3', 'k2']);
        expect((await store.verificationKeys(since(10 * minute))).map((k) => k.kid)).toEqual(['k3', 'k2', 'k1']);
        expect(await store.pruneSigningKeys(since(5 * minute))).toBe(1);
        expect(await store.getSigningKey('k1')).toBeUndefined();
        expect(await store.pruneSigningKeys(since(-1))).toBe(1);
        expect(await store.currentSigningKey()).toMatchObject({ kid: 'k3' });
      });

      it('keeps exactly one current key when rotations race', async () => {
        await Promise.all(Array.from({ length: 8 }, (_, i) => store.rotateSigningKey(key(`race-${i}`))));
        const current = await store.verificationKeys(new Date(clock.now().getTime() + minute));
        expect(current).toHaveLength(1);
        expect(await store.currentSigningKey()).toEqual(current[0]);
      });
    });
  });
}
