// The upstream client against a real docker-registry, bare and behind a front that asks
// for Basic credentials or the token challenge.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { asDigest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import { OciUpstream } from './oci-upstream.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';

let registry: RunningRegistry;
let image: PushedImage;
const layer = Buffer.from('layer bytes '.repeat(1000));
const fronts: UpstreamFront[] = [];
const clients: OciUpstream[] = [];

beforeAll(async () => {
  registry = await startDistribution();
  image = await pushImage(registry.url, 'library/app', 'v1', [layer]);
});
afterAll(async () => {
  for (const client of clients) await client.close();
  for (const front of fronts) await front.stop();
  await registry?.stop();
});

function client(url: string, credentials?: { username: string; password: string }): OciUpstream {
  const made = new OciUpstream({ name: 'up', url, timeoutMs: 5000, ...(credentials ? { credentials } : {}) });
  clients.push(made);
  return made;
}

async function errorOf(promise: Promise<unknown>): Promise<RegistryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

async function pullsTheImage(upstream: OciUpstream): Promise<void> {
  const manifest = await upstream.getManifest('library/app', 'v1');
  expect(manifest.digest).toBe(image.manifestDigest);
  expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  expect(manifest.bytes.equals(image.manifest)).toBe(true);
  const blob = await upstream.getBlob('library/app', image.layerDigests[0]!);
  expect(blob.size).toBe(layer.length);
  const hash = createHash('sha256');
  for await (const chunk of blob.body) hash.update(chunk as Buffer);
  expect(`sha256:${hash.digest('hex')}`).toBe(image.layerDigests[0]);
}

describe('OciUpstream', () => {
  it('gets and heads manifests and blobs from an open registry', async () => {
    const upstream = client(registry.url);
    await pullsTheImage(upstream);
    expect(await upstream.headManifest('library/app', 'v1')).toMatchObject({ digest: image.manifestDigest, size: image.manifest.length });
    expect((await upstream.headBlob('library/app', image.layerDigests[0]!)).size).toBe(layer.length);
  });

  it('maps what the upstream lacks to 404s of the usual codes', async () => {
    const upstream = client(registry.url);
    expect((await errorOf(upstream.getManifest('library/app', 'nope'))).code).toBe('MANIFEST_UNKNOWN');
    const missing = asDigest(`sha256:${'0'.repeat(64)}`);
    const blob = await errorOf(upstream.getBlob('library/app', missing));
    expect([blob.code, blob.status]).toEqual(['BLOB_UNKNOWN', 404]);
  });

  it('answers the token challenge with Basic credentials at the realm, and caches the token', async () => {
    const front = await startUpstreamFront({ target: registry.url, auth: 'token', username: 'bob', password: 's3cret' });
    fronts.push(front);
    const upstream = client(front.url, { username: 'bob', password: 's3cret' });
    await pullsTheImage(upstream);
    await upstream.headManifest('library/app', 'v1');
    expect(front.tokensIssued).toBe(1);
    const wrong = await errorOf(client(front.url, { username: 'bob', password: 'wrong' }).getManifest('library/app', 'v1'));
    expect(wrong.status).toBe(502);
    expect(wrong.message).toMatch(/could not log in: token endpoint .* answered 401 \(check the remote username and passwordFile\)/);
  });

  it('answers a Basic challenge, and says credentials are missing when there are none', async () => {
    const front = await startUpstreamFront({ target: registry.url, auth: 'basic', username: 'bob', password: 's3cret' });
    fronts.push(front);
    await pullsTheImage(client(front.url, { username: 'bob', password: 's3cret' }));
    const anonymous = await errorOf(client(front.url).getManifest('library/app', 'v1'));
    expect(anonymous.status).toBe(502);
    expect(anonymous.message).toMatch(/refused access to library\/app \(401\); it needs credentials/);
  });

  it('says an upstream that is down cannot be reached, with Retry-After', async () => {
    const front = await startUpstreamFront({ target: registry.url });
    await front.stop();
    const down = await errorOf(client(front.url).getManifest('library/app', 'v1'));
    expect([down.code, down.status]).toEqual(['UNAVAILABLE', 503]);
    expect(down.headers['retry-after']).toBe('30');
    expect(down.message).toMatch(/remote up \(http:\/\/127\.0\.0\.1:\d+\) cannot be reached \(ECONNREFUSED\)/);
  });
});
