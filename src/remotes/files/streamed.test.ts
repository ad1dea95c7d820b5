// streamed file remotes (bytes fetched for each read, not kept after it, the verdict reused
// only for bytes that hashed to the scanned digest), and what a client sees while a scan is
// still running (503 with Retry-After past scanning.manifestWaitSeconds).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../domain/digest.js';
import { infectedMarker } from '../../quarantine/testing/test-scanner.js';
import { startFileRemoteApp, type FileRemoteApp } from './testing/file-remote-app.js';
import { startStaticServer, type StaticServer } from './testing/static-server.js';

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;

let upstream: StaticServer;
let env: FileRemoteApp;

beforeAll(async () => {
  upstream = await startStaticServer();
  await upstream.put('tool.tar', 'tool bytes');
  await upstream.put('evil.tar', `x ${infectedMarker} y`);
  await upstream.put('slow.tar', 'scanned slowly');
  await upstream.writeManifest(['tool.tar', 'evil.tar']);
  env = await startFileRemoteApp(
    [
      { name: 'st', url: upstream.url, policy: 'streamed', manifest: 'PULP_MANIFEST' },
      { name: 'loose', url: upstream.url, policy: 'streamed' },
      { name: 'wait', url: upstream.url },
    ],
    0.3,
  );
});
afterAll(async () => {
  await env?.close();
  await upstream?.stop();
});

const get = (url: string) => env.app.inject({ method: 'GET', url });
/** The streamed bytes are dropped after the response, in the background. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('streamed file remote', () => {
  it('fetches for each read and keeps neither bytes nor entry; the second read is not scanned again', async () => {
    const digest = sha256('tool bytes');
    expect((await get('/files/st/-/tool.tar')).payload).toBe('tool bytes');
    await settle();
    expect(await env.services.blobs.stat(digest)).toBeUndefined();
    expect(await env.services.files.get('st', 'tool.tar')).toBeUndefined();
    expect(env.remotes.streamed.readerCount(digest)).toBe(0);
    expect((await get('/files/st/-/tool.tar')).payload).toBe('tool bytes');
    await settle();
    expect(upstream.count('GET', '/tool.tar')).toBe(2);
    expect(env.scanner.scanned.filter((d) => d === digest)).toHaveLength(1);
    expect(await env.services.blobs.stat(digest)).toBeUndefined();
    // Its verdict shows in the listing, though nothing is stored.
    const listed = (await get('/files/st/-/')).json().files;
    expect(listed).toContainEqual({ path: 'tool.tar', digest, size: 10, scanState: 'clean' });
  });

  it('refuses an infected file, and later without downloading it again', async () => {
    expect((await get('/files/st/-/evil.tar')).statusCode).toBe(403);
    await settle();
    const again = await get('/files/st/-/evil.tar');
    expect(again.statusCode).toBe(403);
    expect(again.json().errors[0].message).toContain('Test.Marker');
    expect(upstream.count('GET', '/evil.tar')).toBe(1);
  });

  it('without a manifest, refuses bytes known infected before storing them again', async () => {
    expect((await get('/files/loose/-/evil.tar')).statusCode).toBe(403);
    await settle();
    expect(await env.services.blobs.stat(sha256(`x ${infectedMarker} y`))).toBeUndefined();
    expect((await get('/files/loose/-/tool.tar')).payload).toBe('tool bytes');
  });
});

describe('a scan that outlasts scanning.manifestWaitSeconds', () => {
  it('answers 503 with Retry-After, and the file once the scan is done', async () => {
    const finish = env.holdScans();
    const pending = await get('/files/wait/-/slow.tar');
    expect(pending.statusCode).toBe(503);
    expect(pending.headers['retry-after']).toBe('5');
    expect(pending.json().errors[0].message).toContain('waiting for a malware scan');
    finish();
    await expect.poll(async () => (await get('/files/wait/-/slow.tar')).statusCode, { timeout: 5000 }).toBe(200);
    expect(upstream.count('GET', '/slow.tar')).toBe(1);
  });
});
