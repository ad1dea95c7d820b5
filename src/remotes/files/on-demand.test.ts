// on_demand file remotes against a static HTTP server started here (counting its requests):
// with a PULP_MANIFEST (digests known before the download: a mismatch refused with nothing
// kept, unlisted paths unknown without asking upstream, the listing is the manifest's) and
// without one (any path, re-validated after the TTL with If-None-Match); one upstream GET for
// many clients, infected files refused for good, cached files served with the upstream down.
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../domain/digest.js';
import { infectedMarker } from '../../quarantine/testing/test-scanner.js';
import { startFileRemoteApp, type FileRemoteApp } from './testing/file-remote-app.js';
import { startStaticServer, type StaticServer } from './testing/static-server.js';

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
const big = randomBytes(512 * 1024);
const plain = Buffer.from('plain bytes\n');
const infected = Buffer.from(`header ${infectedMarker} trailer`);
const bent = Buffer.from('these are not the bytes the manifest names');

let upstream: StaticServer;
let bare: StaticServer;
let nested: StaticServer;
let env: FileRemoteApp;

beforeAll(async () => {
  upstream = await startStaticServer();
  await upstream.put('big.bin', big);
  await upstream.put('docs/plain.txt', plain);
  await upstream.put('bad.com', infected);
  await upstream.put('bent.bin', bent);
  await upstream.put('unlisted.txt', 'not in the manifest');
  await upstream.writeManifest(['big.bin', 'docs/plain.txt', 'bad.com', 'bent.bin'], 'PULP_MANIFEST', { 'bent.bin': 'ab'.repeat(32) });
  bare = await startStaticServer();
  await bare.put('any/where.txt', 'version 1');
  nested = await startStaticServer();
  await nested.put('pub/one.txt', 'one');
  await nested.writeManifest(['one.txt'], 'pub/PULP_MANIFEST');
  env = await startFileRemoteApp([
    { name: 'dl', url: upstream.url, manifest: 'PULP_MANIFEST' },
    { name: 'raw', url: bare.url, ttlSeconds: 0 },
    { name: 'sub', url: `${nested.url}/`, manifest: 'pub/PULP_MANIFEST' },
    { name: 'fresh', url: nested.url, manifest: 'pub/PULP_MANIFEST', ttlSeconds: 0 },
  ]);
});
afterAll(async () => {
  await env?.close();
  await upstream?.stop();
  await bare?.stop().catch(() => {});
  await nested?.stop();
});

const get = (url: string, headers: Record<string, string> = {}) => env.app.inject({ method: 'GET', url, headers });

describe('on_demand file remote with a manifest', () => {
  it('fetches a file on first request, verified and scanned, then serves it locally', async () => {
    const first = await get('/files/dl/-/big.bin');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.rawPayload.equals(big)).toBe(true);
    expect(first.headers.etag).toBe(`"${sha256(big)}"`);
    expect(first.headers['content-disposition']).toContain('filename="big.bin"');
    expect((await get('/files/dl/-/big.bin', { range: 'bytes=10-19' })).rawPayload.equals(big.subarray(10, 20))).toBe(true);
    const head = await env.app.inject({ method: 'HEAD', url: '/files/dl/-/big.bin' });
    expect(head.headers['content-length']).toBe(String(big.length));
    expect(upstream.count('GET', '/big.bin')).toBe(1);
    // Scanned once, while it arrived.
    expect(env.scanner.scanned.filter((d) => d === sha256(big))).toHaveLength(1);
  });

  it('has ten concurrent clients of a missing file cause one upstream GET', async () => {
    upstream.options.delayMs = 300;
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, () => get('/files/dl/-/docs/plain.txt')));
      for (const answer of answers) expect(answer.payload).toBe(plain.toString());
    } finally {
      upstream.options.delayMs = 0;
    }
    expect(upstream.count('GET', '/docs/plain.txt')).toBe(1);
  });

  it('answers 404 for a path the manifest does not list, without asking upstream', async () => {
    const answer = await get('/files/dl/-/unlisted.txt');
    expect(answer.statusCode).toBe(404);
    expect(answer.json().errors[0]).toMatchObject({ code: 'FILE_UNKNOWN', message: 'unlisted.txt is not in the manifest of remote dl' });
    expect(upstream.count('GET', '/unlisted.txt')).toBe(0);
  });

  it('refuses bytes that do not match the manifest with 502, keeping nothing', async () => {
    const answer = await get('/files/dl/-/bent.bin');
    expect(answer.statusCode).toBe(502);
    expect(answer.json().errors[0].message).toMatch(/^remote dl sent bent\.bin, which hashes to sha256:[0-9a-f]{64}, not the manifest's sha256:(ab){32}; nothing was stored or served$/);
    expect(await env.services.files.get('dl', 'bent.bin')).toBeUndefined();
    expect(await env.services.blobs.stat(sha256(bent))).toBeUndefined();
    expect(await readdir(join(env.services.dataDir, 'blobs', 'uploads')).catch(() => [])).toEqual([]);
  });

  it('refuses an infected file with 403 naming the signature, and again later without a download', async () => {
    const first = await get('/files/dl/-/bad.com');
    expect(first.statusCode).toBe(403);
    expect(first.json().errors[0]).toMatchObject({ code: 'DENIED' });
    expect(first.json().errors[0].message).toContain('Test.Marker');
    const again = await get('/files/dl/-/bad.com');
    expect(again.statusCode).toBe(403);
    expect(upstream.count('GET', '/bad.com')).toBe(1);
  });

  it('lists the manifest, with what is stored and each content\'s scan state', async () => {
    const listing = await get('/files/dl/-/');
    expect(listing.statusCode).toBe(200);
    const files = listing.json().files as { path: string; scanState: string; mediaType?: string }[];
    expect(files.map((f) => [f.path, f.scanState])).toEqual([
      ['bad.com', 'infected'],
      ['bent.bin', 'unfetched'],
      ['big.bin', 'clean'],
      ['docs/plain.txt', 'clean'],
    ]);
    expect(files[2]).toMatchObject({ digest: sha256(big), size: big.length, mediaType: 'application/octet-stream' });
    expect(files[1]).toEqual({ path: 'bent.bin', digest: `sha256:${'ab'.repeat(32)}`, size: bent.length, scanState: 'unfetched' });
    const page = await get('/files/dl/-/?n=1&last=bent.bin');
    expect(page.json().files.map((f: { path: string }) => f.path)).toEqual(['big.bin']);
    expect(page.headers.link).toContain('last=big.bin');
    expect((await get('/files/dl/-/docs/')).json().files.map((f: { path: string }) => f.path)).toEqual(['docs/plain.txt']);
  });

  it('is read-only: uploads and deletes answer 405', async () => {
    const put = await env.app.inject({ method: 'PUT', url: '/files/dl/-/new.txt', payload: 'x' });
    expect(put.statusCode).toBe(405);
    expect(put.json().errors[0].message).toContain('read-only');
    expect((await env.app.inject({ method: 'DELETE', url: '/files/dl/-/big.bin' })).statusCode).toBe(405);
    expect((await env.app.inject({ method: 'PUT', url: '/files/dl/nested/-/new.txt', payload: 'x' })).statusCode).toBe(405);
    expect((await get('/files/dl/nested/-/big.bin')).statusCode).toBe(404);
  });

  it('finds files relative to a manifest in a subdirectory', async () => {
    expect((await get('/files/sub/-/one.txt')).payload).toBe('one');
    expect(nested.count('GET', '/pub/one.txt')).toBe(1);
  });

  it('fetches the new bytes once the manifest, re-read after its TTL, lists a new sha256', async () => {
    expect((await get('/files/fresh/-/one.txt')).payload).toBe('one');
    await nested.put('pub/one.txt', 'one, revised');
    expect((await get('/files/fresh/-/one.txt')).payload).toBe('one'); // the manifest still says so
    await nested.writeManifest(['one.txt'], 'pub/PULP_MANIFEST');
    expect((await get('/files/fresh/-/one.txt')).payload).toBe('one, revised');
    expect((await env.services.files.get('fresh', 'one.txt'))?.digest).toBe(sha256('one, revised'));
  });
});

describe('on_demand file remote without a manifest', () => {
  it('fetches any path, and re-validates it upstream after the TTL (304: no download)', async () => {
    const first = await get('/files/raw/-/any/where.txt');
    expect(first.payload).toBe('version 1');
    expect(first.headers.etag).toBe(`"${sha256('version 1')}"`);
    const downloads = env.remotes.fetcher.downloads;
    expect((await get('/files/raw/-/any/where.txt')).payload).toBe('version 1');
    expect(bare.notModified).toBe(1);
    expect(env.remotes.fetcher.downloads).toBe(downloads + 1); // asked, answered 304, nothing stored
    expect((await get('/files/raw/-/missing.txt')).statusCode).toBe(404);
  });

  it('serves the new bytes once the upstream changed them', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a new mtime, hence a new ETag
    await bare.put('any/where.txt', 'version 2');
    const answer = await get('/files/raw/-/any/where.txt');
    expect(answer.payload).toBe('version 2');
    expect((await env.services.files.get('raw', 'any/where.txt'))?.digest).toBe(sha256('version 2'));
  });

  it('serves cached files with the upstream down; others answer 503', async () => {
    await bare.stop();
    expect((await get('/files/raw/-/any/where.txt')).payload).toBe('version 2');
    const missing = await get('/files/raw/-/never/fetched.txt');
    expect(missing.statusCode).toBe(503);
    expect(missing.headers['retry-after']).toBe('30');
  });
});
