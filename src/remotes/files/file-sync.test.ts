// `immediate` file remotes and their sync against a static HTTP server: nothing is fetched on a
// request; a sync downloads every file of the manifest, verified and scanned, and gives each an
// entry only once clean; an infected or mismatching file is reported and gets none; files the
// manifest no longer lists are removed.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../domain/digest.js';
import { infectedMarker } from '../../quarantine/testing/test-scanner.js';
import type { SyncProgress } from '../sync.js';
import { startFileRemoteApp, type FileRemoteApp } from './testing/file-remote-app.js';
import { startStaticServer, type StaticServer } from './testing/static-server.js';

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;

let upstream: StaticServer;
let env: FileRemoteApp;

beforeAll(async () => {
  upstream = await startStaticServer();
  await upstream.put('a.txt', 'alpha');
  await upstream.put('dir/b.txt', 'bravo');
  await upstream.put('evil.txt', `a ${infectedMarker} b`);
  await upstream.put('bent.txt', 'bent');
  await upstream.writeManifest(['a.txt', 'dir/b.txt', 'evil.txt', 'bent.txt'], 'PULP_MANIFEST', { 'bent.txt': 'cd'.repeat(32) });
  env = await startFileRemoteApp([
    { name: 'pre', url: upstream.url, policy: 'immediate', manifest: 'PULP_MANIFEST' },
    { name: 'bare', url: upstream.url, policy: 'on_demand' },
  ]);
});
afterAll(async () => {
  await env?.close();
  await upstream?.stop();
});

const get = (url: string) => env.app.inject({ method: 'GET', url });

describe('sync of an immediate file remote', () => {
  it('fetches nothing on a request before the sync', async () => {
    const answer = await get('/files/pre/-/a.txt');
    expect(answer.statusCode).toBe(404);
    expect(answer.json().errors[0].message).toContain('scangate sync pre');
    expect(upstream.count('GET', '/a.txt')).toBe(0);
    expect((await get('/files/pre/-/')).json().files).toEqual([]);
  });

  it('downloads, verifies and scans every file, and shows only the clean ones', async () => {
    const progress: SyncProgress[] = [];
    const results = await env.remotes.sync.sync('pre', (p) => progress.push({ ...p }));
    expect(results.map((r) => [r.path, r.outcome])).toEqual([
      ['a.txt', 'synced'],
      ['bent.txt', 'error'],
      ['dir/b.txt', 'synced'],
      ['evil.txt', 'refused'],
    ]);
    expect(results.find((r) => r.path === 'evil.txt')?.message).toContain('Test.Marker');
    expect(results.find((r) => r.path === 'bent.txt')?.message).toContain("not the manifest's");
    expect(progress.at(-1)).toMatchObject({ bytesDone: progress.at(-1)!.bytesTotal });
    expect((await get('/files/pre/-/a.txt')).payload).toBe('alpha');
    expect((await get('/files/pre/-/evil.txt')).statusCode).toBe(404);
    const listed = (await get('/files/pre/-/')).json().files.map((f: { path: string; scanState: string }) => [f.path, f.scanState]);
    expect(listed).toEqual([
      ['a.txt', 'clean'],
      ['dir/b.txt', 'clean'],
    ]);
  });

  it('fetches nothing again for files already here, and removes those no longer listed', async () => {
    await upstream.writeManifest(['a.txt']);
    const results = await env.remotes.sync.sync('pre');
    expect(results.map((r) => [r.path, r.outcome])).toEqual([
      ['a.txt', 'current'],
      ['dir/b.txt', 'removed'],
    ]);
    expect(upstream.count('GET', '/a.txt')).toBe(1);
    expect((await get('/files/pre/-/dir/b.txt')).statusCode).toBe(404);
    expect((await env.services.files.get('pre', 'a.txt'))?.digest).toBe(sha256('alpha'));
  });

  it('refuses to sync a remote without a manifest', async () => {
    await expect(env.remotes.sync.sync('bare')).rejects.toThrow(/remote bare has no manifest/);
  });
});
