// The gate end to end inside one process: real SQLite stores, the filesystem blob store,
// the durable queue and in-process workers, driven through the /v2/ and /admin APIs.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mediaTypes } from '../domain/media-types.js';
import { startGateApp, type GateApp } from './testing/gate-app.js';
import { infectedMarker } from './testing/test-scanner.js';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const octets = { 'content-type': 'application/octet-stream' };

let t: GateApp;
beforeEach(async () => {
  t = await startGateApp();
});
afterEach(async () => t.close());

async function pushBlob(name: string, content: string) {
  const res = await t.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/?digest=${sha256(content)}`, headers: octets, payload: content });
  expect(res.statusCode).toBe(201);
  return { digest: sha256(content), size: Buffer.byteLength(content) };
}

function manifestOf(config: { digest: string; size: number }, layers: { digest: string; size: number }[]) {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
  });
}

const putManifest = (name: string, ref: string, body: string) =>
  t.app.inject({ method: 'PUT', url: `/v2/${name}/manifests/${ref}`, headers: { 'content-type': mediaTypes.ociManifest }, payload: body });

async function until(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const admin = (method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${t.adminToken}` }, ...(payload ? { payload } : {}) });

describe('the scan gate', () => {
  it('serves a pushed image only once it is scanned clean', async () => {
    const config = await pushBlob('app/web', '{"config":1}');
    const layer = await pushBlob('app/web', 'clean layer');
    const put = await putManifest('app/web', 'v1', manifestOf(config, [layer]));
    expect(put.statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url: '/v2/app/web/manifests/v1' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/v2/app/web/blobs/${layer.digest}` })).payload).toBe('clean layer');
    // The scan job offered the stored file too, for scanners that read it in place.
    const hex = layer.digest.slice('sha256:'.length);
    expect(t.scanner.storedPaths).toContainEqual(expect.stringMatching(new RegExp(`^/.*/blobs/sha256/${hex.slice(0, 2)}/${hex}$`)));
  });

  it('decides content scanned as it arrived from the verdicts that scan left, with no scan job; a push still queues its scans', async () => {
    const engine = (await t.scanner.engine()).key;
    const cache = (content: string, verdict: 'clean' | 'infected') =>
      t.services.quarantine.recordVerdict({
        digest: sha256(content) as never,
        scanner: t.scanner.name,
        engine,
        verdict,
        findings: verdict === 'infected' ? [{ signature: 'Cached.Test' }] : [],
        durationMs: 1,
        scannedAt: new Date(),
      });
    // As a remote's download lands: committed, linked, then admitted as scanned on arrival.
    const arrive = async (content: string) => {
      const upload = await t.services.blobs.createUpload();
      await upload.append(Readable.from([Buffer.from(content)]));
      const info = await upload.commit(sha256(content) as never);
      await t.services.metadata.linkBlob('app/cached', info);
      await t.gate.gatekeeper.admit('app/cached', info.digest, 'blob', { scannedOnArrival: true });
      return info;
    };
    await cache('scanned as it arrived', 'clean');
    await cache('infected as it arrived', 'infected');
    const clean = await arrive('scanned as it arrived');
    const infected = await arrive('infected as it arrived');
    expect((await t.services.quarantine.getState(clean.digest))?.state).toBe('clean');
    expect((await t.services.quarantine.getState(infected.digest))?.state).toBe('infected');
    expect(await t.services.queue.list({ kind: 'scan' })).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: `/v2/app/cached/blobs/${infected.digest}` })).statusCode).toBe(403);
    await cache('pushed, cached', 'clean');
    await pushBlob('app/cached', 'pushed, cached');
    expect(await t.services.queue.list({ kind: 'scan' })).toHaveLength(1);
  });

  it('keeps content pending while the scanner is down, spending no attempts, and scans it once back', async () => {
    t.scanner.down = true;
    const layer = await pushBlob('app/outage', 'outage layer');
    await new Promise((r) => setTimeout(r, 500));
    expect((await t.services.quarantine.getState(layer.digest as never))?.state).toBe('pending');
    const [job] = await t.services.queue.list({ kind: 'scan' });
    expect(job).toMatchObject({ state: 'queued', attempts: 0 });
    expect(job!.lastError).toMatch(/unavailable/);
    t.scanner.down = false;
    await until(async () => (await t.app.inject({ method: 'GET', url: `/v2/app/outage/blobs/${layer.digest}` })).statusCode === 200, 15_000);
  });

  it('answers 503 with Retry-After while content is pending, then serves it', async () => {
    t.scanner.down = true;
    const layer = await pushBlob('app/pending', 'waiting layer');
    const res = await t.app.inject({ method: 'GET', url: `/v2/app/pending/blobs/${layer.digest}` });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json().errors[0]).toMatchObject({ code: 'UNAVAILABLE', detail: { state: 'pending' } });
    expect(res.json().errors[0].message).toMatch(/waiting for a malware scan/);
    // HEAD tells a pushing client the blob exists, without serving a byte.
    expect((await t.app.inject({ method: 'HEAD', url: `/v2/app/pending/blobs/${layer.digest}` })).statusCode).toBe(200);
    t.scanner.down = false;
    await admin('POST', `/admin/quarantine/${layer.digest}/rescan`, { reason: 'scanner is back' });
    // The scan job postponed while the scanner was down (5-10 s, scannerDownRetryMs) absorbs
    // the rescan (one unfinished job per digest and scanner): allow for its wait.
    await until(async () => (await t.app.inject({ method: 'GET', url: `/v2/app/pending/blobs/${layer.digest}` })).statusCode === 200, 20_000);
  });

  it('refuses a manifest PUT naming the infected layer and its signature, and never serves the layer', async () => {
    const config = await pushBlob('app/bad', '{"config":2}');
    const layer = await pushBlob('app/bad', `payload ${infectedMarker} payload`);
    const put = await putManifest('app/bad', 'v1', manifestOf(config, [layer]));
    expect(put.statusCode).toBe(403);
    const error = put.json().errors[0];
    expect(error.code).toBe('DENIED');
    expect(error.message).toContain(`layer 1 ${layer.digest}`);
    expect(error.message).toContain('Test.Marker');
    const get = await t.app.inject({ method: 'GET', url: `/v2/app/bad/blobs/${layer.digest}` });
    expect(get.statusCode).toBe(403);
    expect(get.json().errors[0].detail).toMatchObject({ state: 'infected', reason: 'Test.Marker' });
    expect((await t.app.inject({ method: 'GET', url: '/v2/app/bad/manifests/v1' })).statusCode).toBe(404);
    // Out of the servable store, into the admin-only quarantine area; the move is audited.
    expect(await t.services.blobs.stat(layer.digest as never)).toBeUndefined();
    const content = await admin('GET', `/admin/quarantine/${layer.digest}/content`);
    expect(content.payload).toContain(infectedMarker);
    const report = (await admin('GET', `/admin/quarantine/${layer.digest}`)).json();
    expect(report.audit[0]).toMatchObject({ action: 'quarantine', actor: 'scanner:test' });
  });

  it('accepts a PUT as pending past the wait, and the artifact is not served until clean', async () => {
    await t.close();
    t = await startGateApp({ manifestWaitSeconds: 0.2 });
    t.scanner.down = true;
    const config = await pushBlob('app/slow', '{"config":3}');
    const layer = await pushBlob('app/slow', 'slow layer');
    expect((await putManifest('app/slow', 'v1', manifestOf(config, [layer]))).statusCode).toBe(201);
    const pending = await t.app.inject({ method: 'GET', url: '/v2/app/slow/manifests/v1' });
    expect(pending.statusCode).toBe(503);
    expect((await t.app.inject({ method: 'HEAD', url: '/v2/app/slow/manifests/v1' })).statusCode).toBe(503);
    t.scanner.down = false;
    await until(async () => (await t.app.inject({ method: 'GET', url: '/v2/app/slow/manifests/v1' })).statusCode === 200, 15_000);
  });

  it('scans shared bytes once: the verdict cache serves a second repository', async () => {
    const layer = await pushBlob('team-a/app', 'shared layer');
    await until(async () => (await t.services.quarantine.getState(layer.digest as never))?.state === 'clean');
    const mount = await t.app.inject({ method: 'POST', url: `/v2/team-b/app/blobs/uploads/?mount=${layer.digest}&from=team-a/app` });
    expect(mount.statusCode).toBe(201);
    await pushBlob('team-c/app', 'shared layer');
    expect((await t.app.inject({ method: 'GET', url: `/v2/team-b/app/blobs/${layer.digest}` })).statusCode).toBe(200);
    expect(t.scanner.scanned.filter((d) => d === layer.digest)).toHaveLength(1);
    // A scan job run again for decided bytes (a crash between verdict and completion) is
    // answered from the verdict cache: it completes without scanning.
    const again = await t.services.queue.enqueue({ kind: 'scan', payload: { digest: layer.digest, kind: 'blob', scanner: 'test' } });
    await until(async () => (await t.services.queue.get(again.id))?.state === 'done');
    expect(t.scanner.scanned.filter((d) => d === layer.digest)).toHaveLength(1);
  });

  it('marks content failed after the retries, serves none of it, and an admin rescan recovers it', async () => {
    t.scanner.scansFail = true;
    const layer = await pushBlob('app/flaky', 'flaky layer');
    await until(async () => (await t.services.quarantine.getState(layer.digest as never))?.state === 'failed', 15_000);
    const get = await t.app.inject({ method: 'GET', url: `/v2/app/flaky/blobs/${layer.digest}` });
    expect(get.statusCode).toBe(403);
    expect(get.json().errors[0].message).toMatch(/could not be scanned.*an admin can rescan/);
    const listed = (await admin('GET', '/admin/quarantine?state=failed')).json();
    expect(listed.items.map((i: { digest: string }) => i.digest)).toContain(layer.digest);
    t.scanner.scansFail = false;
    expect((await admin('POST', `/admin/quarantine/${layer.digest}/rescan`, { reason: 'clamd restarted' })).json().state).toBe('pending');
    await until(async () => (await t.app.inject({ method: 'GET', url: `/v2/app/flaky/blobs/${layer.digest}` })).statusCode === 200);
  });

  it('lets an admin release a false positive with a reason kept in the audit log', async () => {
    const layer = await pushBlob('app/fp', `false ${infectedMarker} positive`);
    await until(async () => (await t.services.quarantine.getState(layer.digest as never))?.state === 'infected');
    expect((await admin('POST', `/admin/quarantine/${layer.digest}/release`, {})).statusCode).toBe(400);
    const released = await admin('POST', `/admin/quarantine/${layer.digest}/release`, { reason: 'vendor confirmed a false positive' });
    expect(released.json()).toMatchObject({ state: 'clean', decidedBy: 'admin:admin' });
    expect((await t.app.inject({ method: 'GET', url: `/v2/app/fp/blobs/${layer.digest}` })).statusCode).toBe(200);
    const audit = (await admin('GET', `/admin/audit?digest=${layer.digest}`)).json().entries;
    expect(audit[0]).toMatchObject({ action: 'release', reason: 'vendor confirmed a false positive' });
  });

  it('rescans released content after a signature update; it stays servable meanwhile', async () => {
    const layer = await pushBlob('app/old', 'old layer');
    await until(async () => (await t.services.quarantine.getState(layer.digest as never))?.state === 'clean');
    t.scanner.database = '2';
    expect(await t.gate.rescanNow()).toBeGreaterThanOrEqual(1);
    expect((await t.app.inject({ method: 'GET', url: `/v2/app/old/blobs/${layer.digest}` })).statusCode).toBe(200);
    await until(async () => t.scanner.scanned.filter((d) => d === layer.digest).length === 2);
    // The scan is counted before its verdict is stored: wait for the verdict, or the next
    // round may still find the content stale.
    const fresh = (await t.scanner.engine()).key;
    await until(async () => (await t.services.quarantine.findVerdict(layer.digest as never, 'test', fresh)) !== undefined);
    expect(await t.gate.rescanNow()).toBe(0);
  });

  it('requires every scanner a namespace names, and only those', async () => {
    await t.close();
    t = await startGateApp({ require: { strict: ['test', 'second'], light: ['second'] } }, ['test', 'second']);
    const [first, second] = t.scanners;
    first!.down = true;
    // `light` requires only `second`: clean as soon as `second` passed it.
    const light = await pushBlob('light/app', 'light layer');
    await until(async () => (await t.app.inject({ method: 'GET', url: `/v2/light/app/blobs/${light.digest}` })).statusCode === 200);
    // `strict` needs both: pending while `test` is down, even though `second` passed it.
    const strict = await pushBlob('strict/app', 'strict layer');
    await until(async () => second!.scanned.includes(strict.digest));
    expect((await t.app.inject({ method: 'GET', url: `/v2/strict/app/blobs/${strict.digest}` })).statusCode).toBe(503);
    first!.down = false;
    await until(async () => (await t.app.inject({ method: 'GET', url: `/v2/strict/app/blobs/${strict.digest}` })).statusCode === 200, 15_000);
    expect((await admin('GET', `/admin/quarantine/${strict.digest}`)).json().state.decidedBy).toBe('test,second');
  });

  it("decides a manifest by its own namespace's requirements, though no repository holds it during its PUT", async () => {
    await t.close();
    t = await startGateApp({ require: { light: ['second'] } }, ['test', 'second']);
    const [first] = t.scanners;
    first!.down = true; // not required in `light`: it must not be waited for
    const config = await pushBlob('light/img', '{"config":"light"}');
    const layer = await pushBlob('light/img', 'light image layer');
    const put = await putManifest('light/img', 'v1', manifestOf(config, [layer]));
    expect(put.statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url: '/v2/light/img/manifests/v1' })).statusCode).toBe(200);
  });

  it('requires authentication for the admin API', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/quarantine' });
    expect(res.statusCode).toBe(401);
    expect(res.json().errors[0].code).toBe('UNAUTHORIZED');
    const wrong = await t.app.inject({ method: 'GET', url: '/admin/quarantine', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
  });
});
