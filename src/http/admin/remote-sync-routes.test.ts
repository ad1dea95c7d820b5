// Syncs through the admin API, against a real docker-registry (behind a front) and a static
// HTTP file server: POST /admin/remotes/NAME/sync queues a job and answers 202 with a Location;
// a second request while it is unfinished gets the same sync (200); the workers run it and the
// sync's state and progress are read back; only clean content becomes visible, the refused is
// listed. On PostgreSQL: a sync asked for on a server that then stops is run by another
// process, and a third (restarted) one shows its progress and result.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../../test/support/server-process.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../metadata/testing/pg-database.js';
import { infectedMarker } from '../../quarantine/testing/test-scanner.js';
import { startStaticServer, type StaticServer } from '../../remotes/files/testing/static-server.js';
import { pushImage, type PushedImage } from '../../remotes/testing/push-image.js';
import { remoteAppAdminToken, startRemoteApp, type RemoteApp, type RemoteInput } from '../../remotes/testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from '../../remotes/testing/upstream-front.js';

let registry: RunningRegistry;
let front: UpstreamFront;
let source: StaticServer;
let v1: PushedImage;
let v2: PushedImage;

beforeAll(async () => {
  registry = await startDistribution();
  v1 = await pushImage(registry.url, 'library/app', 'v1', [randomBytes(8 * 1024)]);
  v2 = await pushImage(registry.url, 'library/app', 'v2', [randomBytes(4 * 1024)]);
  front = await startUpstreamFront({ target: registry.url });
  source = await startStaticServer();
  await source.put('a.txt', 'alpha');
  await source.put('dir/b.txt', 'bravo');
  await source.put('evil.txt', `a ${infectedMarker} b`);
  await source.writeManifest(['a.txt', 'dir/b.txt', 'evil.txt']);
});
afterAll(async () => {
  await front?.stop();
  await registry?.stop();
  await source?.stop();
});

type Method = 'GET' | 'POST';
const admin = (env: RemoteApp, method: Method, url: string, payload?: unknown) =>
  env.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${remoteAppAdminToken}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

interface SyncView {
  id: string;
  state: string;
  items: { total: number; done: number; failed: number };
  bytes: { total: number; done: number };
  outcomes: Record<string, number>;
  problems: { item: string; outcome: string; message: string }[];
  startedAt: string | null;
  finishedAt: string | null;
  attempts: number;
}

/** Polls the sync until it is finished. */
async function finished(env: RemoteApp, location: string, timeoutMs = 30_000): Promise<SyncView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sync = (await admin(env, 'GET', location)).json() as SyncView;
    if (sync.finishedAt !== null) return sync;
    if (Date.now() > deadline) throw new Error(`sync still ${sync.state} after ${timeoutMs} ms: ${JSON.stringify(sync)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const pre: RemoteInput = { name: 'pre', url: '', policy: 'immediate', repositories: ['library/app'] };

describe('syncs through the admin API', () => {
  let env: RemoteApp;
  beforeAll(async () => {
    env = await startRemoteApp([{ ...pre, url: front.url }], 5, { syncWorkers: false });
  });
  afterAll(() => env?.close());

  it('queues a sync as a job (202, Location), gives the unfinished one to a second request, and runs it', async () => {
    const started = await admin(env, 'POST', '/admin/remotes/pre/sync');
    expect(started.statusCode).toBe(202);
    const sync = started.json() as SyncView;
    expect(started.headers.location).toBe(`/admin/remotes/pre/syncs/${sync.id}`);
    expect(sync).toMatchObject({ state: 'queued', requestedBy: 'admin', selection: {}, items: { total: 0, done: 0, failed: 0 }, startedAt: null });

    const again = await admin(env, 'POST', '/admin/remotes/pre/sync', { tags: ['v1'] });
    expect([again.statusCode, again.headers.location, again.json().id]).toEqual([200, started.headers.location, sync.id]);
    expect((await admin(env, 'GET', '/admin/remotes/pre/syncs')).json().syncs.map((s: SyncView) => s.id)).toEqual([sync.id]);
    expect((await env.app.inject({ method: 'GET', url: '/v2/pre/library/app/manifests/v1' })).statusCode).toBe(404);

    env.syncs.startWorkers();
    const done = await finished(env, started.headers.location as string);
    expect(done).toMatchObject({ state: 'completed', attempts: 1, items: { total: 2, done: 2, failed: 0 }, outcomes: { synced: 2 }, problems: [], error: null });
    expect(done.bytes.done).toBe(done.bytes.total);
    expect(done.bytes.total).toBeGreaterThan(12 * 1024);
    for (const image of [v1, v2]) {
      const manifest = await env.app.inject({ method: 'GET', url: `/v2/pre/library/app/manifests/${image === v1 ? 'v1' : 'v2'}` });
      expect([manifest.statusCode, manifest.headers['docker-content-digest']]).toEqual([200, image.manifestDigest]);
    }
    // Finished: the next request starts a new one.
    const next = await admin(env, 'POST', '/admin/remotes/pre/sync', { repositories: ['library/app'], tags: ['v2'] });
    expect(next.statusCode).toBe(202);
    expect((await finished(env, next.headers.location as string)).outcomes).toEqual({ synced: 1 });
  });

  it('syncs a file remote: the clean files become visible, the refused one is listed and never shown', async () => {
    const made = await admin(env, 'POST', '/admin/remotes', { name: 'dl', kind: 'file', url: source.url, manifest: 'PULP_MANIFEST', policy: 'immediate' });
    expect(made.statusCode).toBe(201);
    const started = await admin(env, 'POST', '/admin/remotes/dl/sync');
    expect(started.statusCode).toBe(202);
    const done = await finished(env, started.headers.location as string);
    expect(done).toMatchObject({ state: 'completed', items: { total: 3, done: 3, failed: 1 }, outcomes: { synced: 2, refused: 1 }, bytes: { total: 10 + `a ${infectedMarker} b`.length } });
    expect(done.problems).toEqual([{ item: 'dl/-/evil.txt', outcome: 'refused', message: expect.stringContaining('Test.Marker') }]);
    expect((await env.app.inject({ method: 'GET', url: '/files/dl/-/dir/b.txt' })).payload).toBe('bravo');
    expect((await env.app.inject({ method: 'GET', url: '/files/dl/-/evil.txt' })).statusCode).toBe(404);
  });

  it('prunes finished syncs once they are 30 days old, and keeps the younger ones', async () => {
    const listed = (await admin(env, 'GET', '/admin/remotes/dl/syncs')).json().syncs as SyncView[];
    expect(listed.length).toBeGreaterThan(0);
    expect(await env.syncs.pruneFinished()).toBe(0);
    const day = 24 * 60 * 60_000;
    expect(await env.syncs.pruneFinished(Date.now() + 29 * day)).toBe(0);
    const pruned = await env.syncs.pruneFinished(Date.now() + 31 * day);
    expect(pruned).toBeGreaterThanOrEqual(listed.length);
    expect((await admin(env, 'GET', '/admin/remotes/dl/syncs')).json().syncs).toEqual([]);
    expect((await admin(env, 'GET', `/admin/remotes/dl/syncs/${listed[0]!.id}`)).statusCode).toBe(404);
    // The remote syncs again as before.
    const again = await admin(env, 'POST', '/admin/remotes/dl/sync');
    expect(again.statusCode).toBe(202);
    expect((await finished(env, again.headers.location as string)).state).toBe('completed');
  });

  it('answers 404 for no such remote or sync, 400 for a selection that does not apply, 401 without credentials', async () => {
    expect((await admin(env, 'POST', '/admin/remotes/nope/sync')).statusCode).toBe(404);
    expect((await admin(env, 'GET', '/admin/remotes/pre/syncs/00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
    const other = (await admin(env, 'GET', '/admin/remotes/dl/syncs')).json().syncs[0].id as string;
    expect((await admin(env, 'GET', `/admin/remotes/pre/syncs/${other}`)).statusCode).toBe(404);
    expect((await admin(env, 'POST', '/admin/remotes', { name: 'globs', kind: 'oci', url: front.url, repositories: ['library/*'] })).statusCode).toBe(201);
    const cases: [string, unknown, RegExp][] = [
      ['dl', { tags: ['v1'] }, /dl is a file remote: it syncs the files of its manifest, repositories and tags do not apply/],
      ['globs', {}, /remote globs lists no plain repository names/],
      ['pre', { colour: 'red' }, /colour/],
      ['pre', { tags: [] }, /tags/],
    ];
    for (const [name, body, message] of cases) {
      const answer = await admin(env, 'POST', `/admin/remotes/${name}/sync`, body);
      expect(answer.statusCode, `${name} ${JSON.stringify(body)}: ${answer.body}`).toBe(400);
      expect(answer.json().errors[0].message).toMatch(message);
    }
    expect((await admin(env, 'GET', '/admin/remotes/pre/syncs?n=0')).statusCode).toBe(400);
    expect((await env.app.inject({ method: 'POST', url: '/admin/remotes/pre/sync' })).statusCode).toBe(401);
  });
});

describe('a sync asked for on one server, run by another, shown by a third', () => {
  let database: ThrowawayDatabase;
  let dataDir: string;
  const apps: RemoteApp[] = [];

  beforeAll(async () => {
    database = await createThrowawayDatabase('scangate_test_remote_sync');
    dataDir = await mkdtemp(join(tmpdir(), 'scangate-sync-restart-'));
  });
  afterAll(async () => {
    for (const env of apps) await env.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (syncWorkers: boolean) => {
    const env = await startRemoteApp([{ ...pre, url: front.url }], 5, { database: { driver: 'postgres', url: database.url }, dataDir, syncWorkers });
    apps.push(env);
    return env;
  };

  it('loses no sync to a stop, and shows its progress from the database', async () => {
    const asked = await start(false);
    const started = await admin(asked, 'POST', '/admin/remotes/pre/sync', { tags: ['v1'] });
    expect(started.statusCode).toBe(202);
    await asked.close();
    apps.splice(apps.indexOf(asked), 1);

    const shows = await start(false);
    expect((await admin(shows, 'GET', started.headers.location as string)).json()).toMatchObject({ state: 'queued' });
    await start(true); // runs it
    const done = await finished(shows, started.headers.location as string);
    expect(done).toMatchObject({ state: 'completed', items: { total: 1, done: 1, failed: 0 }, outcomes: { synced: 1 } });
    const manifest = await shows.app.inject({ method: 'GET', url: '/v2/pre/library/app/manifests/v1' });
    expect([manifest.statusCode, manifest.headers['docker-content-digest']]).toEqual([200, v1.manifestDigest]);
  });
});
