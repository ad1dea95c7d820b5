// Remotes through the admin API, against a real docker-registry upstream (behind a front that
// demands Basic credentials) and a static HTTP file server: made, listed, pulled through,
// changed and deleted without a restart, OCI and file remotes alike; bad input is a 400 naming
// the field; remotes of the config file are 409; the password is never returned. Two apps on
// one PostgreSQL database play two servers: a remote made on one works on the other on its
// first request, and changes reach it within its reload interval.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../../test/support/server-process.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../metadata/testing/pg-database.js';
import { pushImage, type PushedImage } from '../../remotes/testing/push-image.js';
import { remoteAppAdminToken, startRemoteApp, type RemoteApp } from '../../remotes/testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from '../../remotes/testing/upstream-front.js';
import { startStaticServer, type StaticServer } from '../../remotes/files/testing/static-server.js';

const password = 'upstream-s3cret-pw';
let registry: RunningRegistry;
let front: UpstreamFront;
let plainFront: UpstreamFront;
let env: RemoteApp;
let v1: PushedImage;
let v2: PushedImage;
let source: StaticServer;

beforeAll(async () => {
  source = await startStaticServer({ username: 'robot', password });
  await source.put('pub/a.txt', 'alpha');
  await source.put('pub/b.txt', 'bravo');
  await source.writeManifest(['a.txt'], 'pub/PULP_MANIFEST');
  registry = await startDistribution();
  v1 = await pushImage(registry.url, 'library/app', 'v1', [randomBytes(16 * 1024)]);
  v2 = await pushImage(registry.url, 'library/app', 'v2', [randomBytes(8 * 1024)]);
  front = await startUpstreamFront({ target: registry.url, auth: 'basic', username: 'robot', password });
  plainFront = await startUpstreamFront({ target: registry.url });
  env = await startRemoteApp([{ name: 'cfg', url: plainFront.url }]);
});
afterAll(async () => {
  await env?.close();
  await front?.stop();
  await plainFront?.stop();
  await registry?.stop();
  await source?.stop();
});

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const admin = (app: RemoteApp, method: Method, url: string, payload?: unknown) =>
  app.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${remoteAppAdminToken}`, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
const pull = (app: RemoteApp, url: string) => app.app.inject({ method: 'GET', url });
const hub = (extra: Record<string, unknown> = {}) => ({ name: 'hub', kind: 'oci', url: front.url, username: 'robot', password, ...extra });

describe('remotes through the admin API', () => {
  it('makes a remote that pulls through at once, and never shows its password', async () => {
    const created = await admin(env, 'POST', '/admin/remotes', hub());
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'hub', url: front.url, policy: 'on_demand', username: 'robot', source: 'api', passwordSet: true, updatedBy: 'admin' });
    expect(created.body).not.toContain(password);

    const manifest = await pull(env, '/v2/hub/library/app/manifests/v1');
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(v1.manifestDigest);
    expect((await pull(env, `/v2/hub/library/app/blobs/${v1.layerDigests[0]}`)).statusCode).toBe(200);
    expect(front.count('GET', `/v2/library/app/blobs/${v1.layerDigests[0]}`)).toBe(1); // with the stored password

    const listed = await admin(env, 'GET', '/admin/remotes');
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(password);
    expect(listed.json().remotes.map((r: { name: string; source: string; passwordSet: boolean }) => [r.name, r.source, r.passwordSet])).toEqual([
      ['cfg', 'config', false],
      ['hub', 'api', true],
    ]);
    const one = await admin(env, 'GET', '/admin/remotes/hub');
    expect(one.json()).toEqual(created.json());
    expect((await admin(env, 'GET', '/admin/remotes/nope')).statusCode).toBe(404);
  });

  it('changes a remote without a restart, keeping the password when none is sent', async () => {
    const { password: _, ...withoutPassword } = hub({ tags: ['v2'], tagTtlSeconds: 0 });
    const changed = await admin(env, 'PUT', '/admin/remotes/hub', withoutPassword);
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ tags: ['v2'], tagTtlSeconds: 0, passwordSet: true });
    // The new tag filter holds at once; the kept password still opens the upstream.
    expect((await pull(env, '/v2/hub/library/app/manifests/v1')).statusCode).toBe(404);
    const allowed = await pull(env, '/v2/hub/library/app/manifests/v2');
    expect([allowed.statusCode, allowed.headers['docker-content-digest']]).toEqual([200, v2.manifestDigest]);

    // PUT of a name not there yet makes it.
    const made = await admin(env, 'PUT', '/admin/remotes/other', { kind: 'oci', url: plainFront.url, policy: 'streamed' });
    expect([made.statusCode, made.json().passwordSet, made.json().policy]).toEqual([201, false, 'streamed']);
  });

  it('deletes a remote: its namespace is no longer a mirror', async () => {
    expect((await admin(env, 'DELETE', '/admin/remotes/other')).statusCode).toBe(204);
    expect((await admin(env, 'DELETE', '/admin/remotes/other')).statusCode).toBe(404);
    expect((await admin(env, 'GET', '/admin/remotes/other')).statusCode).toBe(404);
    expect(await env.remotes.source.mirrors('other/library/app')).toBe(false);
    const before = plainFront.counts.size;
    expect((await pull(env, '/v2/other/library/app/manifests/v1')).statusCode).toBe(404);
    expect(plainFront.counts.size).toBe(before);
  });

  it('answers 400 naming the field for bad input, and stores nothing', async () => {
    const cases: [Method, string, unknown, RegExp][] = [
      ['POST', '/admin/remotes', { name: 'x', kind: 'oci' }, /url/],
      ['POST', '/admin/remotes', { name: 'x', kind: 'oci', url: 'ftp://u' }, /url: an http:\/\/ or https:\/\/ URL/],
      ['POST', '/admin/remotes', { name: 'x', kind: 'oci', url: 'http://u', policy: 'sometimes' }, /policy/],
      ['POST', '/admin/remotes', { name: 'Bad/Name', kind: 'oci', url: 'http://u' }, /name/],
      ['POST', '/admin/remotes', { name: 'x', kind: 'oci', url: 'http://u', colour: 'red' }, /colour/],
      ['POST', '/admin/remotes', { name: 'x', kind: 'oci', url: 'http://u', password: 'p' }, /username: password needs a username/],
      ['POST', '/admin/remotes', { name: 'x', kind: 'oci', url: 'http://u', username: 'u', passwordFile: '/nonexistent/pw' }, /cannot read passwordFile \/nonexistent\/pw/],
      ['POST', '/admin/remotes', '[1, 2]', /body/],
      ['PUT', '/admin/remotes/x', { name: 'y', kind: 'oci', url: 'http://u' }, /name: "y" is not the remote in the path \(x\)/],
      ['PUT', '/admin/remotes/x', { kind: 'oci', url: 'http://u', tagTtlSeconds: -1 }, /tagTtlSeconds/],
    ];
    for (const [method, url, body, message] of cases) {
      const answer = await admin(env, method, url, body);
      expect(answer.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${answer.body}`).toBe(400);
      expect(answer.json().errors[0].message).toMatch(message);
    }
    expect((await env.services.remotes.listRemotes()).map((r) => r.remote.name)).toEqual(['hub']);
  });

  it('answers 400 naming the field for a bad file remote, checked by the config schema', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'f', kind: 'file', url: source.url, policy: 'immediate' }, /manifest: policy immediate needs a manifest/],
      [{ name: 'f', kind: 'file', url: source.url, tagTtlSeconds: 5 }, /tagTtlSeconds/],
      [{ name: 'f', kind: 'file', url: source.url, manifest: '../x' }, /manifest: a relative path/],
      [{ name: 'f', kind: 'file', url: source.url, certFile: '/c.pem' }, /keyFile: certFile needs keyFile/],
      [{ name: 'f', kind: 'file', url: source.url, caFile: '/nonexistent/ca.pem' }, /cannot read caFile \/nonexistent\/ca\.pem/],
      [{ name: 'f', kind: 'ftp', url: source.url }, /kind/],
    ];
    for (const [body, message] of cases) {
      const answer = await admin(env, 'POST', '/admin/remotes', body);
      expect(answer.statusCode, `${JSON.stringify(body)}: ${answer.body}`).toBe(400);
      expect(answer.json().errors[0].message).toMatch(message);
    }
    expect((await env.services.remotes.listRemotes()).map((r) => r.remote.name)).toEqual(['hub']);
  });

  it('refuses to change or delete a remote of the config file (409: edit the file), and a name taken', async () => {
    for (const [method, url, body] of [
      ['PUT', '/admin/remotes/cfg', { kind: 'oci', url: front.url }],
      ['DELETE', '/admin/remotes/cfg', undefined],
      ['POST', '/admin/remotes', { name: 'cfg', kind: 'oci', url: front.url }],
    ] as [Method, string, unknown][]) {
      const answer = await admin(env, method, url, body);
      expect(answer.statusCode, `${method} ${url}`).toBe(409);
      expect(answer.json().errors[0].message).toBe('remote cfg is defined in the config file: edit the file (and restart) to change it');
    }
    const taken = await admin(env, 'POST', '/admin/remotes', hub());
    expect(taken.statusCode).toBe(409);
    expect(taken.json().errors[0].message).toMatch(/remote hub exists; change it with PUT \/admin\/remotes\/hub/);
    expect((await pull(env, '/v2/cfg/library/app/manifests/v1')).statusCode).toBe(200);
  });

  it('is guarded like the rest of /admin', async () => {
    expect((await env.app.inject({ method: 'GET', url: '/admin/remotes' })).statusCode).toBe(401);
    const wrong = await env.app.inject({ method: 'POST', url: '/admin/remotes', headers: { authorization: 'Bearer nope' }, payload: hub() });
    expect(wrong.statusCode).toBe(401);
  });
});

describe('file remotes through the admin API', () => {
  const dl = (extra: Record<string, unknown> = {}) => ({ kind: 'file', url: `${source.url}/pub`, username: 'robot', password, manifest: 'PULP_MANIFEST', ...extra });

  it('makes a file remote that serves its files at once, never showing its password', async () => {
    const created = await admin(env, 'POST', '/admin/remotes', { name: 'dl', ...dl() });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'dl', kind: 'file', policy: 'on_demand', ttlSeconds: 300, manifest: 'PULP_MANIFEST', source: 'api', passwordSet: true });
    expect(created.body).not.toContain(password);
    const file = await pull(env, '/files/dl/-/a.txt');
    expect([file.statusCode, file.payload]).toEqual([200, 'alpha']);
    expect((await pull(env, '/files/dl/-/b.txt')).statusCode).toBe(404); // not in the manifest
    const listed = (await admin(env, 'GET', '/admin/remotes')).json().remotes.map((r: { name: string; kind: string }) => [r.name, r.kind]);
    expect(listed).toContainEqual(['dl', 'file']);
    expect((await env.app.inject({ method: 'PUT', url: '/files/dl/-/c.txt', payload: 'x' })).statusCode).toBe(405);
  });

  it('changes it without a restart (no manifest, streamed: any path, not kept), then deletes it', async () => {
    const { password: _, manifest: __, ...rest } = dl({ policy: 'streamed' });
    const changed = await admin(env, 'PUT', '/admin/remotes/dl', rest);
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ policy: 'streamed', passwordSet: true });
    expect(changed.json().manifest).toBeUndefined();
    const file = await pull(env, '/files/dl/-/b.txt');
    expect([file.statusCode, file.payload]).toEqual([200, 'bravo']);
    expect(await env.services.files.get('dl', 'b.txt')).toBeUndefined();

    expect((await admin(env, 'DELETE', '/admin/remotes/dl')).statusCode).toBe(204);
    expect(await env.remotes.files.source.mirrors('dl')).toBe(false);
    expect((await pull(env, '/files/dl/-/b.txt')).statusCode).toBe(404);
  });
});

describe('remotes made on one server, on another sharing the database', () => {
  let database: ThrowawayDatabase;
  let one: RemoteApp;
  let two: RemoteApp;

  beforeAll(async () => {
    database = await createThrowawayDatabase('scangate_test_remote_api');
    const options = { database: { driver: 'postgres' as const, url: database.url }, reload: { reloadIntervalMs: 300, missReloadMs: 0 } };
    one = await startRemoteApp([], 5, options);
    two = await startRemoteApp([], 5, options);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  it('pulls through a remote made elsewhere on the first request, and follows changes and deletion', async () => {
    expect((await admin(one, 'POST', '/admin/remotes', hub())).statusCode).toBe(201);
    // A miss re-reads the remotes: no waiting for the interval.
    const first = await pull(two, '/v2/hub/library/app/manifests/v1');
    expect([first.statusCode, first.headers['docker-content-digest']]).toEqual([200, v1.manifestDigest]);

    expect((await admin(one, 'PUT', '/admin/remotes/hub', hub({ tags: ['v2'] }))).statusCode).toBe(200);
    // A hit is served from the copy it has while the copy is re-read in the background.
    await waitFor(async () => (await pull(two, '/v2/hub/library/app/manifests/v1')).statusCode === 404);
    expect((await pull(two, '/v2/hub/library/app/manifests/v2')).statusCode).toBe(200);

    expect((await admin(one, 'DELETE', '/admin/remotes/hub')).statusCode).toBe(204);
    await waitFor(async () => !(await two.remotes.source.mirrors('hub/library/app')));
    expect((await admin(two, 'GET', '/admin/remotes')).json()).toEqual({ remotes: [] });
  });

  it('serves a file remote made elsewhere on the first request', async () => {
    const made = await admin(one, 'POST', '/admin/remotes', { name: 'dl', kind: 'file', url: `${source.url}/pub`, username: 'robot', password });
    expect(made.statusCode).toBe(201);
    const file = await pull(two, '/files/dl/-/b.txt');
    expect([file.statusCode, file.payload]).toEqual([200, 'bravo']);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the other server to follow');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
