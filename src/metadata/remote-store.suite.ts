// The RemoteStore conformance suite: every adapter's test file hands it a factory and runs it
// unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { remoteSchema, type RemoteConfig } from '../config/remote-schema.js';
import { TestClock } from '../jobs/testing/test-clock.js';
import type { RemoteStore } from '../ports/remote-store.js';

export interface RemoteStoreHarness {
  /** A store over this harness's migrated database, stamping records with `clock`. Once per test. */
  open(clock: () => Date): Promise<RemoteStore>;
  /** Closes the store's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type RemoteStoreFactory = () => Promise<RemoteStoreHarness>;

const remote = (name: string, extra: Partial<RemoteConfig> = {}): RemoteConfig =>
  remoteSchema.parse({ name, kind: 'oci', url: `https://${name}.example`, ...extra });

export function remoteStoreSuite(name: string, factory: RemoteStoreFactory): void {
  describe(`RemoteStore: ${name}`, () => {
    let harness: RemoteStoreHarness;
    let clock: TestClock;
    let store: RemoteStore;

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      store = await harness.open(clock.now);
    });

    afterEach(() => harness.dispose());

    it('creates remotes, lists them by name and gets one, with its password and who made it', async () => {
      const hub = remote('hub', { username: 'robot', tags: ['v*'], repositories: ['library/*'], dockerHubLibraryPrefix: true, tlsVerify: false });
      const created = await store.createRemote(hub, 's3cret', 'user:alice');
      expect(created).toEqual({ remote: hub, password: 's3cret', createdAt: clock.now(), updatedAt: clock.now(), updatedBy: 'user:alice' });
      await store.createRemote(remote('a-first'), undefined, 'admin');
      expect((await store.listRemotes()).map((r) => [r.remote.name, r.password])).toEqual([
        ['a-first', undefined],
        ['hub', 's3cret'],
      ]);
      expect(await store.getRemote('hub')).toEqual(created);
      expect(await store.getRemote('nope')).toBeUndefined();
    });

    it('refuses a second remote of the same name and leaves the first as it was', async () => {
      await store.createRemote(remote('hub'), 'one', 'admin');
      expect(await store.createRemote(remote('hub', { policy: 'streamed' }), 'two', 'user:bob')).toBeUndefined();
      expect(await store.getRemote('hub')).toMatchObject({ remote: { policy: 'on_demand' }, password: 'one', updatedBy: 'admin' });
    });

    it('updates a definition, keeping, replacing or removing the password', async () => {
      const created = (await store.createRemote(remote('hub', { username: 'u' }), 'one', 'admin'))!;
      clock.advance(1000);
      const kept = await store.updateRemote(remote('hub', { username: 'u', policy: 'streamed' }), undefined, 'user:bob');
      expect(kept).toEqual({ ...created, remote: remote('hub', { username: 'u', policy: 'streamed' }), updatedAt: clock.now(), updatedBy: 'user:bob' });
      expect((await store.updateRemote(remote('hub', { username: 'u' }), 'two', 'admin'))?.password).toBe('two');
      expect((await store.updateRemote(remote('hub'), null, 'admin'))?.password).toBeUndefined();
      expect(await store.updateRemote(remote('nope'), 'x', 'admin')).toBeUndefined();
      expect(await store.listRemotes()).toHaveLength(1);
    });

    it('deletes a remote once', async () => {
      await store.createRemote(remote('hub'), undefined, 'admin');
      await store.createRemote(remote('other'), undefined, 'admin');
      expect(await store.deleteRemote('hub')).toBe(true);
      expect(await store.deleteRemote('hub')).toBe(false);
      expect((await store.listRemotes()).map((r) => r.remote.name)).toEqual(['other']);
    });
  });
}
