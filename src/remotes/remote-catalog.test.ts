// The catalog of remotes over a real SQLite store (no upstream is contacted: clients are only
// built): what a reload keeps and replaces, who wins a name, and when the database is re-read.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { remoteSchema, type RemoteConfig } from '../config/remote-schema.js';
import { openDatabase } from '../metadata/database.js';
import { migrateToLatest } from '../metadata/migrations/index.js';
import type { MetadataTables } from '../metadata/schema.js';
import { SqlRemoteStore } from '../metadata/sql-remote-store.js';
import { RemoteCatalog, type RemoteCatalogOptions } from './remote-catalog.js';
import { RemoteMap } from './remote-map.js';

const remote = (name: string, extra: Partial<RemoteConfig> = {}) => remoteSchema.parse({ name, kind: 'oci', url: `http://${name}.invalid`, ...extra });

describe('RemoteCatalog', () => {
  let dir: string;
  let db: Kysely<MetadataTables>;
  let store: SqlRemoteStore;
  let map: RemoteMap;
  let catalog: RemoteCatalog | undefined;
  let clock: number;
  const changed: string[] = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scangate-remote-catalog-'));
    db = openDatabase({ driver: 'sqlite' }, dir);
    await migrateToLatest(db, 'sqlite');
    store = new SqlRemoteStore(db);
    map = new RemoteMap([]);
    clock = 0;
    changed.length = 0;
    warnings.length = 0;
  });
  afterEach(async () => {
    await catalog?.close();
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (configured: RemoteConfig[] = [], extra: Partial<RemoteCatalogOptions> = {}) =>
    (catalog = await RemoteCatalog.open({ configured, store, map, logger, onChange: (name) => changed.push(name), now: () => clock, ...extra }));

  it("keeps an unchanged remote's client, replaces a changed one's, and forgets a deleted one", async () => {
    await store.createRemote(remote('a'), undefined, 'admin');
    await store.createRemote(remote('b', { username: 'u' }), 'one', 'admin');
    const c = await open([remote('cfg')]);
    const [a, b, cfg] = ['a', 'b', 'cfg'].map(c.upstreamOf);
    await store.updateRemote(remote('b', { username: 'u' }), 'two', 'admin');
    await store.deleteRemote('a');
    await c.reload();
    expect(c.upstreamOf('cfg')).toBe(cfg);
    expect(c.upstreamOf('b')).not.toBe(b);
    expect(() => c.upstreamOf('a')).toThrow(/remote a no longer exists/);
    expect(a).toBeDefined();
    expect(changed.sort()).toEqual(['a', 'b']);
    expect(map.remotes.map((r) => r.name)).toEqual(['cfg', 'b']);
    expect(c.entries().map((e) => [e.remote.name, e.source, e.passwordSet])).toEqual([
      ['b', 'api', true],
      ['cfg', 'config', false],
    ]);
  });

  it('lets the config file win a name, and skips a stored remote it cannot use, saying so once', async () => {
    await store.createRemote(remote('cfg', { policy: 'streamed' }), undefined, 'admin');
    await store.createRemote(remote('nofile', { username: 'u', passwordFile: join(dir, 'missing') }), undefined, 'admin');
    const c = await open([remote('cfg')]);
    await c.reload();
    expect(c.entry('cfg')).toMatchObject({ source: 'config', remote: { policy: 'on_demand' } });
    expect(c.entry('nofile')).toBeUndefined();
    expect(warnings).toEqual([
      'a remote made through the admin API has the name of one in the config file; the config file wins',
      'a remote in the database cannot be used; it is not mirrored',
    ]);
  });

  it('re-reads on a miss (throttled), and in the background once the copy is stale', async () => {
    const c = await open([], { missReloadMs: 1000, reloadIntervalMs: 10_000 });
    await store.createRemote(remote('late'), undefined, 'admin');
    await c.refresh(false);
    expect(map.covers('late/x')).toBe(false); // read at 0 ms: too recent
    clock = 1000;
    await c.refresh(false);
    expect(map.covers('late/x')).toBe(true);

    await store.deleteRemote('late');
    clock = 5000;
    await c.refresh(true);
    expect(map.covers('late/x')).toBe(true); // a hit within the interval reads nothing
    clock = 11_000;
    await c.refresh(true); // stale: a reload starts, the hit does not wait for it
    await c.reload();
    expect(map.covers('late/x')).toBe(false);
  });
});
