// on_demand pull-through against a real docker-registry upstream (behind a counting front):
// manifests by tag and digest, blobs fetched once however many ask, infected layers refused
// for good, the tag TTL, and cached content served while the upstream is down.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { infectedMarker } from '../quarantine/testing/test-scanner.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startRemoteApp, type RemoteApp } from './testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';

let registry: RunningRegistry;
let front: UpstreamFront;
let flakyFront: UpstreamFront;
let bentFront: UpstreamFront;
let pickyFront: UpstreamFront;
let env: RemoteApp;
let clean: PushedImage;
let infected: PushedImage;
let big: PushedImage;
const cleanLayer = randomBytes(64 * 1024);
const bigLayer = randomBytes(4 * 1024 * 1024);

beforeAll(async () => {
  registry = await startDistribution();
  clean = await pushImage(registry.url, 'library/app', 'v1', [cleanLayer]);
  infected = await pushImage(registry.url, 'library/bad', 'v1', [Buffer.from(`header ${infectedMarker} trailer`)]);
  big = await pushImage(registry.url, 'library/big', 'v1', [bigLayer]);
  front = await startUpstreamFront({ target: registry.url, auth: 'token' });
  flakyFront = await startUpstreamFront({ target: registry.url });
  bentFront = await startUpstreamFront({ target: registry.url, corruptBlobs: true });
  pickyFront = await startUpstreamFront({ target: registry.url });
  env = await startRemoteApp([
    { name: 'hub', url: front.url },
    { name: 'flaky', url: flakyFront.url, tagTtlSeconds: 0 },
    { name: 'bent', url: bentFront.url },
    { name: 'picky', url: pickyFront.url, tags: ['v1*', 'stable'] },
  ]);
});
afterAll(async () => {
  await env?.close();
  await front?.stop();
  await flakyFront?.stop().catch(() => {});
  await bentFront?.stop();
  await pickyFront?.stop();
  await registry?.stop();
});

const get = (url: string) => env.app.inject({ method: 'GET', url });
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('on_demand remote', () => {
  it('pulls a manifest by tag and its blobs through, then serves them locally', async () => {
    const manifest = await get('/v2/hub/library/app/manifests/v1');
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(clean.manifestDigest);
    expect(manifest.rawPayload.equals(clean.manifest)).toBe(true);
    for (const digest of [clean.configDigest, clean.layerDigests[0]!]) {
      const blob = await get(`/v2/hub/library/app/blobs/${digest}`);
      expect(blob.statusCode).toBe(200);
      expect(sha256(blob.rawPayload)).toBe(digest);
    }
    expect(await env.services.metadata.getBlob('hub/library/app', clean.layerDigests[0]!)).toBeDefined();
    // Within the TTL and once stored, nothing goes upstream again.
    const before = new Map(front.counts);
    expect((await get('/v2/hub/library/app/manifests/v1')).statusCode).toBe(200);
    expect((await get(`/v2/hub/library/app/blobs/${clean.layerDigests[0]}`)).statusCode).toBe(200);
    expect((await get(`/v2/hub/library/app/manifests/${clean.manifestDigest}`)).statusCode).toBe(200);
    expect(front.counts).toEqual(before);
    expect(front.count('GET', `/v2/library/app/blobs/${clean.layerDigests[0]}`)).toBe(1);
  });

  it('answers HEAD of a blob not fetched yet from upstream, without fetching it', async () => {
    const head = await env.app.inject({ method: 'HEAD', url: `/v2/hub/library/big/blobs/${big.configDigest}` });
    expect(head.statusCode).toBe(200);
    expect(front.count('GET', `/v2/library/big/blobs/${big.configDigest}`)).toBe(0);
    const missing = await env.app.inject({ method: 'HEAD', url: `/v2/hub/library/big/blobs/sha256:${'1'.repeat(64)}` });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses an infected layer with 403 DENIED naming the signature, now and later, fetched once', async () => {
    expect((await get('/v2/hub/library/bad/manifests/v1')).statusCode).toBe(200);
    const layer = infected.layerDigests[0]!;
    for (let i = 0; i < 2; i++) {
      const refused = await get(`/v2/hub/library/bad/blobs/${layer}`);
      expect(refused.statusCode).toBe(403);
      const body = refused.json() as { errors: { code: string; message: string }[] };
      expect(body.errors[0]!.code).toBe('DENIED');
      expect(body.errors[0]!.message).toMatch(/Test\.Marker/);
    }
    expect(front.count('GET', `/v2/library/bad/blobs/${layer}`)).toBe(1);
    expect((await env.services.quarantine.getState(layer))?.state).toBe('infected');
    // The manifest now names an infected layer: it is refused too.
    expect((await get('/v2/hub/library/bad/manifests/v1')).statusCode).toBe(403);
  });

  it('fetches and scans a missing blob once for 20 concurrent requests', async () => {
    const layer = big.layerDigests[0]!;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`/v2/hub/library/big/blobs/${layer}`)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(20).fill(200));
    for (const answer of answers) expect(answer.rawPayload.length).toBe(bigLayer.length);
    expect(sha256(answers[0]!.rawPayload)).toBe(layer);
    expect(front.count('GET', `/v2/library/big/blobs/${layer}`)).toBe(1);
    expect(env.scanner.scanned.filter((d) => d === layer)).toHaveLength(1);
  });

  it('scans a download while it arrives: the verdict is cached before the scan job runs, which then scans nothing', async () => {
    const layer = clean.configDigest;
    const scansBefore = env.scanner.scanned.filter((d) => d === layer).length;
    expect((await get(`/v2/hub/library/app/blobs/${layer}`)).statusCode).toBe(200);
    // One scan in all (the one on arrival); the verdict is in the cache under the engine's key.
    expect(env.scanner.scanned.filter((d) => d === layer).length - scansBefore).toBeLessThanOrEqual(1);
    const verdicts = await env.services.quarantine.latestVerdicts(layer);
    expect(verdicts.map((v) => [v.scanner, v.verdict])).toEqual([['test', 'clean']]);
  });

  it('keeps serving cached content while the upstream is down, and says so for the rest', async () => {
    expect((await get('/v2/flaky/library/app/manifests/v1')).statusCode).toBe(200);
    expect((await get(`/v2/flaky/library/app/blobs/${clean.layerDigests[0]}`)).statusCode).toBe(200);
    await flakyFront.stop();
    // tagTtlSeconds 0: the tag is re-checked upstream on every request, and the check fails.
    const manifest = await get('/v2/flaky/library/app/manifests/v1');
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['docker-content-digest']).toBe(clean.manifestDigest);
    expect((await get(`/v2/flaky/library/app/blobs/${clean.layerDigests[0]}`)).statusCode).toBe(200);
    const uncached = await get('/v2/flaky/library/big/manifests/v1');
    expect(uncached.statusCode).toBe(503);
    expect(uncached.headers['retry-after']).toBe('30');
    expect(uncached.body).toMatch(/remote flaky .* cannot be reached/);
  });

  it('never stores or serves upstream bytes that do not match their digest, and leaves nothing staged', async () => {
    const layer = big.configDigest;
    const refused = await get(`/v2/bent/library/big/blobs/${layer}`);
    expect(refused.statusCode).toBe(502);
    expect(refused.body).toMatch(/remote bent sent bytes for sha256:[0-9a-f]+ that hash to sha256:[0-9a-f]+; nothing was stored or served/);
    expect(await env.services.blobs.stat(layer)).toBeUndefined();
    expect(await env.services.metadata.getBlob('bent/library/big', layer)).toBeUndefined();
    expect(await env.services.blobs.sweepStaging(0)).toBe(0);
    // Scanned as they arrived, but the bytes were not the digest's: no verdict is kept for it.
    expect(await env.services.quarantine.latestVerdicts(layer)).toEqual([]);
  });

  it('refuses pushes and deletes in a mirror: it is read-only', async () => {
    const push = await env.app.inject({ method: 'POST', url: '/v2/hub/library/app/blobs/uploads/' });
    expect(push.statusCode).toBe(405);
    expect(push.body).toMatch(/hub\/library\/app is a pull-through mirror/);
    const remove = await env.app.inject({ method: 'DELETE', url: `/v2/hub/library/app/manifests/${clean.manifestDigest}` });
    expect(remove.statusCode).toBe(405);
  });

  it('mirrors only the tags its globs allow: another answers 404 MANIFEST_UNKNOWN without asking upstream', async () => {
    await pushImage(registry.url, 'library/app', 'latest', [cleanLayer]);
    const outside = await get('/v2/picky/library/app/manifests/latest');
    expect(outside.statusCode).toBe(404);
    expect(outside.json()).toMatchObject({ errors: [{ code: 'MANIFEST_UNKNOWN', message: expect.stringMatching(/remote picky does not mirror tag latest of library\/app/) }] });
    expect(pickyFront.count('GET', '/v2/library/app/manifests/latest')).toBe(0);
    const inside = await get('/v2/picky/library/app/manifests/v1');
    expect(inside.statusCode).toBe(200);
    expect(inside.headers['docker-content-digest']).toBe(clean.manifestDigest);
    // A digest names content, not a tag: not filtered.
    expect((await get(`/v2/picky/library/app/manifests/${clean.manifestDigest}`)).statusCode).toBe(200);
  });

  it('answers 404 for what the upstream does not have', async () => {
    expect((await get('/v2/hub/library/app/manifests/nope')).statusCode).toBe(404);
    expect((await get(`/v2/hub/library/app/blobs/sha256:${'2'.repeat(64)}`)).statusCode).toBe(404);
  });
});
