// A client that hangs up while its blob is being fetched from the upstream aborts nothing:
// the fetch goes on detached, the next client is served from it (one upstream GET in all),
// and nothing half-written is left in staging. Over real sockets: app.inject cannot hang up.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startRemoteApp, type RemoteApp } from './testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';

let registry: RunningRegistry;
let front: UpstreamFront;
let env: RemoteApp;
let image: PushedImage;
let origin: string;
const layer = randomBytes(1024 * 1024);

beforeAll(async () => {
  registry = await startDistribution();
  image = await pushImage(registry.url, 'library/slow', 'v1', [layer]);
  // 1 MiB at ~2 MiB/s: the fetch takes about half a second.
  front = await startUpstreamFront({ target: registry.url, blobBytesPerSecond: 2 * 1024 * 1024 });
  env = await startRemoteApp([{ name: 'slow', url: front.url }], 30);
  await env.app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await env?.close();
  await front?.stop();
  await registry?.stop();
});

describe('a client that hangs up mid-fetch', () => {
  it('aborts nothing: the next client gets the blob from the same single upstream fetch', async () => {
    const digest = image.layerDigests[0]!;
    const url = `${origin}/v2/slow/library/slow/blobs/${digest}`;
    const hangingUp = new AbortController();
    const first = request(url, { signal: hangingUp.signal }).catch((err: unknown) => err);
    setTimeout(() => hangingUp.abort(), 150);
    expect(String(await first)).toMatch(/abort/i);
    const second = await request(url);
    expect(second.statusCode).toBe(200);
    expect(Buffer.from(await second.body.arrayBuffer()).equals(layer)).toBe(true);
    expect(front.count('GET', `/v2/library/slow/blobs/${digest}`)).toBe(1);
    expect(await env.services.blobs.sweepStaging(0)).toBe(0);
  });
});

describe('a download that outlasts scanning.manifestWaitSeconds', () => {
  let slowFront: UpstreamFront;
  let impatient: RemoteApp;
  const bigLayer = randomBytes(3 * 1024 * 1024);
  let slowImage: PushedImage;

  beforeAll(async () => {
    slowImage = await pushImage(registry.url, 'library/slower', 'v1', [bigLayer]);
    slowFront = await startUpstreamFront({ target: registry.url, blobBytesPerSecond: 1024 * 1024 });
    impatient = await startRemoteApp([{ name: 'slow', url: slowFront.url }], 1);
  });
  afterAll(async () => {
    await impatient?.close();
    await slowFront?.stop();
  });

  it('answers 503 with Retry-After while it runs, and serves the blob from the same fetch once it is done', async () => {
    const digest = slowImage.layerDigests[0]!;
    const url = `/v2/slow/library/slower/blobs/${digest}`;
    const first = await impatient.app.inject({ method: 'GET', url });
    expect(first.statusCode).toBe(503);
    expect(first.headers['retry-after']).toBe('5');
    expect(first.json().errors[0]).toMatchObject({ code: 'UNAVAILABLE', detail: { state: 'fetching' } });
    const deadline = Date.now() + 20_000;
    let answer = first;
    while (answer.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      answer = await impatient.app.inject({ method: 'GET', url });
    }
    expect(answer.statusCode).toBe(200);
    expect(answer.rawPayload.equals(bigLayer)).toBe(true);
    expect(slowFront.count('GET', `/v2/library/slower/blobs/${digest}`)).toBe(1);
  });
});
