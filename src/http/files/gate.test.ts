// The file store behind the scan gate: a TestScanner passes or refuses bytes (a marker
// means infected), and can be taken down to keep content pending.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Digest } from '../../domain/digest.js';
import { infectedMarker } from '../../quarantine/testing/test-scanner.js';
import { startFilesApp, type FilesApp } from './testing/files-app.js';
import { fileRequests, sha256Hex } from './testing/requests.js';

let t: FilesApp;
beforeEach(async () => {
  t = await startFilesApp({ scanning: { manifestWaitSeconds: 0.3 } });
});
afterEach(async () => t.close());

const http = fileRequests(() => t.app);
const listed = async (repository: string) => (await http.get(`/files/${repository}/-/`)).json().files as { path: string; scanState: string }[];

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('files and the scan gate', () => {
  it('scans an upload before answering, giving the scanner its file name and media type', async () => {
    const put = await http.put('/files/gate/clean/-/pkgs/tool-1.0.tar.gz', 'clean tarball', { 'content-type': 'application/gzip' });
    expect(put.statusCode).toBe(201);
    expect(put.json().scanState).toBe('clean');
    const digest = `sha256:${sha256Hex('clean tarball')}`;
    expect(t.scanner.scanned).toContain(digest);
    const [job] = await t.services.queue.list({ kind: 'scan' });
    expect(job!.payload).toMatchObject({ digest, filename: 'tool-1.0.tar.gz', mediaType: 'application/gzip' });
    expect((await http.get('/files/gate/clean/-/pkgs/tool-1.0.tar.gz')).payload).toBe('clean tarball');
  });

  it('refuses an infected upload with 403 naming the signature, keeps no entry and leaves the earlier file', async () => {
    expect((await http.put('/files/gate/bad/-/setup.exe', 'the good one')).statusCode).toBe(201);
    const put = await http.put('/files/gate/bad/-/setup.exe', `MZ ${infectedMarker} payload`);
    expect(put.statusCode).toBe(403);
    const error = put.json().errors[0];
    expect(error.code).toBe('DENIED');
    expect(error.message).toContain('malware found in file setup.exe');
    expect(error.message).toContain('Test.Marker');
    expect((await http.get('/files/gate/bad/-/setup.exe')).payload).toBe('the good one');

    const form = await http.postForm('/files/gate/bad/-/drop/', { name: 'payload.bin', content: `${infectedMarker}!` });
    expect(form.statusCode).toBe(403);
    expect((await http.get('/files/gate/bad/-/drop/payload.bin')).statusCode).toBe(404);
    expect((await listed('gate/bad')).map((f) => f.path)).toEqual(['setup.exe']);
  });

  it('answers 202 while the scan is pending, 503 with Retry-After on GET and HEAD, and serves it once released', async () => {
    const finishScans = t.holdScans();
    const put = await http.put('/files/gate/slow/-/image.qcow2', 'disk image bytes');
    expect(put.statusCode).toBe(202);
    expect(put.json()).toMatchObject({ path: 'image.qcow2', scanState: 'pending' });
    expect(await listed('gate/slow')).toMatchObject([{ path: 'image.qcow2', scanState: 'pending' }]);

    const get = await http.get('/files/gate/slow/-/image.qcow2');
    expect(get.statusCode).toBe(503);
    expect(get.headers['retry-after']).toBe('5');
    expect(get.json().errors[0]).toMatchObject({ code: 'UNAVAILABLE', detail: { state: 'pending' } });
    expect((await t.app.inject({ method: 'HEAD', url: '/files/gate/slow/-/image.qcow2' })).statusCode).toBe(503);
    // A range asks the gate too.
    expect((await http.get('/files/gate/slow/-/image.qcow2', { range: 'bytes=0-3' })).statusCode).toBe(503);

    const digest = put.json().digest as Digest;
    await t.quarantine.release(digest, 'admin', 'checked by hand');
    const get2 = await http.get('/files/gate/slow/-/image.qcow2');
    expect(get2.statusCode).toBe(200);
    expect(get2.payload).toBe('disk image bytes');
    expect(await listed('gate/slow')).toMatchObject([{ scanState: 'clean' }]);
    finishScans();
  });

  it('applies the scanners its namespace requires, and only those', async () => {
    await t.close();
    t = await startFilesApp({ scanning: { manifestWaitSeconds: 1, require: { light: ['second'] } }, scanners: ['test', 'second'] });
    t.scanner.down = true;
    // `light` requires only `second`: decided at once, though `test` is down.
    const light = await http.put('/files/light/tools/-/tool.bin', 'light tool');
    expect(light.statusCode).toBe(201);
    expect(light.json().scanState).toBe('clean');
    expect(t.scanners[1]!.scanned).toContain(light.json().digest);
    // Other namespaces require every scanner: pending while `test` is down.
    const strict = await http.put('/files/strict/tools/-/tool.bin', 'strict tool');
    expect(strict.statusCode).toBe(202);
  });

  it('refuses a pending file that is then found infected, and lists it as such', async () => {
    const finishScans = t.holdScans();
    const put = await http.put('/files/gate/late/-/late.bin', `late ${infectedMarker}`);
    expect(put.statusCode).toBe(202);
    finishScans();
    await until(async () => (await http.get('/files/gate/late/-/late.bin')).statusCode === 403);
    const get = await http.get('/files/gate/late/-/late.bin');
    expect(get.json().errors[0]).toMatchObject({ code: 'DENIED', detail: { state: 'infected', reason: 'Test.Marker' } });
    expect(await listed('gate/late')).toMatchObject([{ path: 'late.bin', scanState: 'infected' }]);
  });
});
