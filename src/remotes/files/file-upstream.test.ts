// The file source client and the manifest cache against a static HTTP server: Basic
// credentials, conditional GETs, percent-encoded paths, errors a client can act on, and the
// manifest re-read after its TTL (a 304 keeps it, the upstream down keeps the copy held).
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileRemoteSchema } from '../../config/remote-schema.js';
import { fileRemoteOf } from './file-remote-map.js';
import { FileUpstream } from './file-upstream.js';
import { ManifestCache } from './manifest-cache.js';
import { startStaticServer, type StaticServer } from './testing/static-server.js';

let locked: StaticServer;
let open: StaticServer;

beforeAll(async () => {
  locked = await startStaticServer({ username: 'bob', password: 'secret' });
  await locked.put('dir/a file é.txt', 'hello');
  open = await startStaticServer();
  await open.put('one.txt', '1');
  await open.writeManifest(['one.txt']);
});
afterAll(async () => {
  await locked?.stop();
  await open?.stop().catch(() => {});
});

const text = async (body: AsyncIterable<Uint8Array>) => {
  let all = '';
  for await (const chunk of body) all += Buffer.from(chunk).toString();
  return all;
};

describe('FileUpstream', () => {
  it('sends Basic credentials and percent-encodes each segment', async () => {
    const upstream = new FileUpstream({ name: 'l', url: locked.url, credentials: { username: 'bob', password: 'secret' } });
    expect(upstream.urlOf('dir/a file é.txt')).toBe(`${locked.url}/dir/a%20file%20%C3%A9.txt`);
    const got = await upstream.get('dir/a file é.txt');
    expect(await text(got.body)).toBe('hello');
    expect(got.validators.etag).toMatch(/^"/);
    const again = await upstream.getIfChanged('dir/a file é.txt', got.validators);
    expect('notModified' in again).toBe(true);
    await upstream.close();
  });

  it('turns refusals, absences and an unreachable source into errors a client can act on', async () => {
    const anonymous = new FileUpstream({ name: 'l', url: locked.url });
    await expect(anonymous.get('dir/a file é.txt')).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 502, message: expect.stringContaining('it needs credentials') });
    const plain = new FileUpstream({ name: 'o', url: `${open.url}/` });
    await expect(plain.get('missing.txt')).rejects.toMatchObject({ code: 'FILE_UNKNOWN', status: 404 });
    const nowhere = new FileUpstream({ name: 'n', url: 'http://127.0.0.1:9' });
    await expect(nowhere.get('x')).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503, headers: { 'retry-after': '30' } });
    await Promise.all([anonymous.close(), plain.close(), nowhere.close()]);
  });
});

describe('ManifestCache', () => {
  it('re-reads the manifest after its TTL (304 keeps it), and keeps using it with the upstream down', async () => {
    let now = 0;
    const remote = fileRemoteOf(fileRemoteSchema.parse({ name: 'o', kind: 'file', url: open.url, manifest: 'PULP_MANIFEST', ttlSeconds: 10 }));
    const missing = fileRemoteOf(fileRemoteSchema.parse({ name: 'm', kind: 'file', url: open.url, manifest: 'NOPE' }));
    const cache = new ManifestCache({ logger: pino({ level: 'silent' }), now: () => now });
    expect((await cache.current(remote)).get('one.txt')?.size).toBe(1);
    expect(await cache.current(remote)).toBe(await cache.current(remote));
    expect(open.count('GET', '/PULP_MANIFEST')).toBe(1);
    now = 11_000;
    await cache.current(remote);
    expect(open.count('GET', '/PULP_MANIFEST')).toBe(2);
    expect(open.notModified).toBe(1);
    await expect(cache.current(missing)).rejects.toMatchObject({ status: 502, message: expect.stringContaining('has no manifest at') });
    await open.stop();
    now = 30_000;
    expect((await cache.current(remote)).get('one.txt')).toBeDefined();
    await expect(cache.fetch(remote)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    await Promise.all([remote.upstream.close(), missing.upstream.close()]);
  });
});
