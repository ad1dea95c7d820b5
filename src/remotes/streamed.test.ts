// streamed pull-through against a real docker-registry: bytes fetched per read and dropped
// after it, the verdict reused (no second scan) for re-fetched bytes that hash to the
// digest, and refused content refused again without another download.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import type { Digest } from '../domain/digest.js';
import { infectedMarker } from '../quarantine/testing/test-scanner.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startRemoteApp, type RemoteApp } from './testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';

let registry: RunningRegistry;
let front: UpstreamFront;
let env: RemoteApp;
let image: PushedImage;
let infected: PushedImage;
const layer = randomBytes(512 * 1024);

beforeAll(async () => {
  registry = await startDistribution();
  image = await pushImage(registry.url, 'library/app', 'v1', [layer]);
  infected = await pushImage(registry.url, 'library/bad', 'v1', [Buffer.from(`x ${infectedMarker} y`)]);
  front = await startUpstreamFront({ target: registry.url });
  env = await startRemoteApp([{ name: 'live', url: front.url, policy: 'streamed' }]);
});
afterAll(async () => {
  await env?.close();
  await front?.stop();
  await registry?.stop();
});

const get = (url: string) => env.app.inject({ method: 'GET', url });

/** The bytes go once the response's handle is closed, just after the answer. */
async function droppedEventually(digest: Digest): Promise<void> {
  for (let i = 0; i < 50 && (await env.services.blobs.stat(digest)); i++) await sleep(20);
  expect(await env.services.blobs.stat(digest)).toBeUndefined();
  expect(await env.services.metadata.getBlob('live/library/app', digest)).toBeUndefined();
}

describe('streamed remote', () => {
  it('serves a blob without keeping it, and reuses its verdict for verified re-fetched bytes', async () => {
    expect((await get('/v2/live/library/app/manifests/v1')).statusCode).toBe(200);
    const digest = image.layerDigests[0]!;
    for (let round = 1; round <= 2; round++) {
      const blob = await get(`/v2/live/library/app/blobs/${digest}`);
      expect(blob.statusCode).toBe(200);
      expect(`sha256:${createHash('sha256').update(blob.rawPayload).digest('hex')}`).toBe(digest);
      await droppedEventually(digest);
      expect(front.count('GET', `/v2/library/app/blobs/${digest}`)).toBe(round);
    }
    expect(env.scanner.scanned.filter((d) => d === digest)).toHaveLength(1);
    expect((await env.services.quarantine.getState(digest))?.state).toBe('clean');
  });

  it('keeps bytes a file entry also uses when the last reader of the streamed blob is done', async () => {
    const digest = image.layerDigests[0]!;
    await env.services.files.put({ repository: 'tools/dl', path: 'same-bytes.bin', digest, size: layer.length, mediaType: 'application/octet-stream' });
    try {
      expect((await get(`/v2/live/library/app/blobs/${digest}`)).statusCode).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(env.remotes.streamed.readerCount(digest)).toBe(0);
      expect(await env.services.blobs.stat(digest)).toBeDefined();
    } finally {
      await env.services.files.delete('tools/dl', 'same-bytes.bin');
    }
  });

  it('shares one fetch among concurrent readers and drops the bytes after the last', async () => {
    const digest = image.configDigest;
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(`/v2/live/library/app/blobs/${digest}`)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(200));
    await droppedEventually(digest);
    expect(env.remotes.streamed.readerCount(digest)).toBe(0);
  });

  it('refuses an infected layer, keeps no bytes of it, and never downloads it again', async () => {
    expect((await get('/v2/live/library/bad/manifests/v1')).statusCode).toBe(200);
    const digest = infected.layerDigests[0]!;
    for (let i = 0; i < 2; i++) {
      const refused = await get(`/v2/live/library/bad/blobs/${digest}`);
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toMatch(/Test\.Marker/);
    }
    expect(front.count('GET', `/v2/library/bad/blobs/${digest}`)).toBe(1);
    expect(await env.services.blobs.stat(digest)).toBeUndefined();
  });
});
