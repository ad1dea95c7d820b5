// After a restart, tags and files checked upstream within their TTL are not checked again: when
// each was checked is kept in the database (UpstreamChecks). An app is stopped and another is
// started on the same data dir and SQLite database, as a restarted server would be; the
// upstream counts what it was asked. A remote whose definition changed is checked again.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDistribution } from '../../test/support/distribution-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { startFileRemoteApp, type FileRemoteInput } from './files/testing/file-remote-app.js';
import { startStaticServer, type StaticServer } from './files/testing/static-server.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { startRemoteApp, type RemoteInput } from './testing/remote-app.js';
import { startUpstreamFront, type UpstreamFront } from './testing/upstream-front.js';

const dirs: string[] = [];
const dataDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-restart-checks-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('tag re-checks across a restart (OCI on_demand)', () => {
  let registry: RunningRegistry;
  let front: UpstreamFront;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startDistribution();
    image = await pushImage(registry.url, 'library/app', 'v1', [randomBytes(1024)]);
    front = await startUpstreamFront({ target: registry.url });
  });
  afterAll(async () => {
    await front?.stop();
    await registry?.stop();
  });

  /** Starts an app on `dir`, pulls the tag, stops it; resolves to the digest served. */
  const pullOnce = async (dir: string, remote: RemoteInput) => {
    const env = await startRemoteApp([remote], 5, { dataDir: dir });
    try {
      const answer = await env.app.inject({ method: 'GET', url: '/v2/hub/library/app/manifests/v1' });
      expect(answer.statusCode).toBe(200);
      return answer.headers['docker-content-digest'];
    } finally {
      await env.close();
    }
  };

  it('does not ask the upstream again for a tag checked within tagTtlSeconds before the restart', async () => {
    const dir = await dataDir();
    const hub = { name: 'hub', url: front.url, tagTtlSeconds: 3600 };
    const manifestGets = () => front.count('GET', '/v2/library/app/manifests/v1');
    expect(await pullOnce(dir, hub)).toBe(image.manifestDigest);
    expect(manifestGets()).toBe(1);
    expect(await pullOnce(dir, hub)).toBe(image.manifestDigest);
    expect(manifestGets()).toBe(1);
    // Another definition of the remote: its tags are checked again.
    expect(await pullOnce(dir, { ...hub, tagTtlSeconds: 1800 })).toBe(image.manifestDigest);
    expect(manifestGets()).toBe(2);
  });
});

describe('file re-validation across a restart (no manifest)', () => {
  let upstream: StaticServer;

  beforeAll(async () => {
    upstream = await startStaticServer();
    await upstream.put('a.txt', 'alpha');
  });
  afterAll(() => upstream?.stop());

  const getOnce = async (dir: string, remote: FileRemoteInput) => {
    const env = await startFileRemoteApp([remote], 5, { dataDir: dir });
    try {
      const answer = await env.app.inject({ method: 'GET', url: '/files/dl/-/a.txt' });
      expect([answer.statusCode, answer.payload]).toEqual([200, 'alpha']);
      return await env.services.upstreamChecks.getCheck('dl', 'file', 'a.txt');
    } finally {
      await env.close();
    }
  };

  it('does not re-validate a file checked within ttlSeconds before the restart, and keeps its ETag for the next time', async () => {
    const dir = await dataDir();
    const dl = { name: 'dl', url: upstream.url, ttlSeconds: 3600 };
    const first = await getOnce(dir, dl);
    expect(first?.etag).toMatch(/^"/);
    expect(upstream.count('GET', '/a.txt')).toBe(1);
    expect(await getOnce(dir, dl)).toEqual(first);
    expect([upstream.count('GET', '/a.txt'), upstream.notModified]).toEqual([1, 0]);
    // Changed: re-validated at once (a conditional GET: 304, nothing downloaded).
    const changed = await getOnce(dir, { ...dl, ttlSeconds: 60 });
    expect([upstream.count('GET', '/a.txt'), upstream.notModified]).toEqual([2, 1]);
    expect(changed!.fingerprint).not.toBe(first!.fingerprint);
  });
});
