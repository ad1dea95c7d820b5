// `immediate` remotes and sync against a real docker-registry: nothing is fetched on a
// request; a sync downloads the selected tags, scans them and tags only what it fully
// brought; an infected image is reported as refused and never tagged.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { infectedMarker } from '../quarantine/testing/test-scanner.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startRemoteApp, type RemoteApp } from './testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';

let registry: RunningRegistry;
let front: UpstreamFront;
let env: RemoteApp;
let v1: PushedImage;
let v2: PushedImage;
let bad: PushedImage;

beforeAll(async () => {
  registry = await startDistribution();
  v1 = await pushImage(registry.url, 'library/app', 'v1', [randomBytes(32 * 1024)]);
  v2 = await pushImage(registry.url, 'library/app', 'v2', [randomBytes(16 * 1024), randomBytes(8 * 1024)]);
  bad = await pushImage(registry.url, 'library/bad', 'v1', [Buffer.from(`a ${infectedMarker} b`)]);
  front = await startUpstreamFront({ target: registry.url });
  env = await startRemoteApp([
    { name: 'pre', url: front.url, policy: 'immediate', repositories: ['library/app', 'library/*'] },
    { name: 'two', url: front.url, policy: 'immediate', repositories: ['library/app'], tags: ['v2*'] },
  ]);
});
afterAll(async () => {
  await env?.close();
  await front?.stop();
  await registry?.stop();
});

const get = (url: string) => env.app.inject({ method: 'GET', url });

describe('sync (immediate)', () => {
  it('fetches nothing on a request before the sync', async () => {
    expect((await get('/v2/pre/library/app/manifests/v1')).statusCode).toBe(404);
    expect((await get(`/v2/pre/library/app/blobs/${v1.layerDigests[0]}`)).statusCode).toBe(404);
    expect(front.counts.size).toBe(0);
  });

  it('syncs every tag of the listed repositories, then serves them', async () => {
    const progress: number[] = [];
    const results = await env.remotes.sync.sync('pre', {}, (p) => progress.push(p.bytesDone));
    expect(results).toEqual([
      { repository: 'pre/library/app', tag: 'v1', outcome: 'synced', digest: v1.manifestDigest },
      { repository: 'pre/library/app', tag: 'v2', outcome: 'synced', digest: v2.manifestDigest },
    ]);
    expect(progress.at(-1)).toBeGreaterThan(0);
    for (const image of [v1, v2]) {
      const manifest = await get(`/v2/pre/library/app/manifests/${image.manifestDigest}`);
      expect(manifest.statusCode).toBe(200);
      for (const digest of [image.configDigest, ...image.layerDigests]) {
        expect((await get(`/v2/pre/library/app/blobs/${digest}`)).statusCode).toBe(200);
      }
    }
    expect((await get('/v2/pre/library/app/manifests/v2')).headers['docker-content-digest']).toBe(v2.manifestDigest);
  });

  it('reports an infected image as refused and never tags it', async () => {
    const [result] = await env.remotes.sync.sync('pre', { repositories: ['library/bad'], tags: ['v1'] });
    expect(result).toMatchObject({ repository: 'pre/library/bad', tag: 'v1', outcome: 'refused' });
    expect(result!.message).toMatch(/Test\.Marker/);
    expect(await env.services.metadata.resolveTag('pre/library/bad', 'v1')).toBeUndefined();
    expect((await get(`/v2/pre/library/bad/blobs/${bad.layerDigests[0]}`)).statusCode).toBe(403);
  });

  it("skips tags outside the remote's tags, and reports one asked for by name as an error", async () => {
    expect(await env.remotes.sync.sync('two')).toEqual([{ repository: 'two/library/app', tag: 'v2', outcome: 'synced', digest: v2.manifestDigest }]);
    const [named] = await env.remotes.sync.sync('two', { tags: ['v1'] });
    expect(named).toMatchObject({ repository: 'two/library/app', tag: 'v1', outcome: 'error', message: expect.stringMatching(/does not mirror tag v1/) });
    expect(await env.services.metadata.resolveTag('two/library/app', 'v1')).toBeUndefined();
    expect(front.count('GET', `/v2/library/app/manifests/v1`)).toBe(1); // by pre's sync only
    expect((await get('/v2/two/library/app/manifests/v1')).statusCode).toBe(404);
  });

  it('names what is wrong with the selection', async () => {
    await expect(env.remotes.sync.sync('nope')).rejects.toThrow(/no remote is named nope \(configured: pre, two\)/);
    const [missing] = await env.remotes.sync.sync('pre', { repositories: ['library/app'], tags: ['v9'] });
    expect(missing).toMatchObject({ outcome: 'error' });
    expect(missing!.message).toMatch(/manifest v9 is not in library\/app upstream/);
  });
});
