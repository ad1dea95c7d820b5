// The file store with a real server, a real clamd and curl: a PUT of the raw bytes (`curl
// -T`), a browser-style form (`curl -F file=@...`), a ranged download (`curl -r 0-99`), the
// original name back through Content-Disposition (`curl -OJ`), and an EICAR file refused
// with 403 naming the signature and never kept.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eicarBytes, testSignatureNames } from '../../src/scanners/clamd/test-signatures.js';
import { startClamd, type RunningClamd } from '../support/clamd.js';
import { curl } from '../support/curl.js';
import { writeRandomFile } from '../support/oci-layout.js';
import { startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('files: curl against a real server with clamd', () => {
  let work: TempDir;
  let clamd: RunningClamd;
  let scangate: RunningRegistry;
  let tarball: string;

  beforeAll(async () => {
    work = await makeTempDir('e2e-files');
    clamd = await startClamd();
    scangate = await startScangate({ scan: ['--clamd', clamd.tcpAddress] });
    tarball = work.join('app-1.0.tar.gz');
    // Past the 4 MiB body limit Fastify and the form plugin would otherwise impose.
    await writeRandomFile(tarball, 6 * 1024 * 1024);
  });

  afterAll(async () => {
    await scangate?.stop();
    await clamd?.dispose();
    await work?.remove();
  });

  const url = (path: string) => `${scangate.url}/files/${path}`;

  test('uploads with PUT and downloads whole, ranged and under its original name', async () => {
    const bytes = await readFile(tarball);
    const put = await curl(['--upload-file', tarball, '--header', 'Content-Type: application/gzip', url(`e2e/dist/-/releases/1.0/app-1.0.tar.gz?sha256=${sha256(bytes)}`)]);
    expect(put.status, put.body).toBe(201);
    expect(JSON.parse(put.body)).toMatchObject({ path: 'releases/1.0/app-1.0.tar.gz', digest: `sha256:${sha256(bytes)}`, size: bytes.length, mediaType: 'application/gzip', scanState: 'clean' });

    const ranged = await curl(['--range', '0-99', url('e2e/dist/-/releases/1.0/app-1.0.tar.gz')], work.join('first-100'));
    expect(ranged.status).toBe(206);
    expect((await readFile(work.join('first-100'))).equals(bytes.subarray(0, 100))).toBe(true);

    // -J names the download after Content-Disposition (and refuses to overwrite a file).
    await mkdir(work.join('downloads'));
    const named = await curl(['--remote-name', '--remote-header-name', '--output-dir', work.join('downloads'), url('e2e/dist/-/releases/1.0/app-1.0.tar.gz')]);
    expect(named.status).toBe(200);
    expect(sha256(await readFile(work.join('downloads', 'app-1.0.tar.gz')))).toBe(sha256(bytes));
  });

  test('uploads a browser form with curl -F into a directory, and lists it', async () => {
    const notes = work.join('notes.txt');
    await writeFile(notes, 'release notes\n');
    const post = await curl(['--form', `file=@${notes};type=text/plain`, url('e2e/dist/-/docs/')]);
    expect(post.status, post.body).toBe(201);
    expect(JSON.parse(post.body)).toMatchObject({ path: 'docs/notes.txt', mediaType: 'text/plain' });
    expect((await curl([url('e2e/dist/-/docs/notes.txt')])).body).toBe('release notes\n');

    const big = await curl(['--form', `file=@${tarball}`, url('e2e/dist/-/mirror/')]);
    expect(big.status, big.body).toBe(201);
    expect(JSON.parse(big.body)).toMatchObject({ path: 'mirror/app-1.0.tar.gz', digest: `sha256:${sha256(await readFile(tarball))}` });

    const listing = await curl([url('e2e/dist/-/?n=10')]);
    const paths = JSON.parse(listing.body).files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['docs/notes.txt', 'mirror/app-1.0.tar.gz']));
  });

  test('refuses EICAR with 403 naming the signature, and keeps no entry', async () => {
    const eicar = work.join('eicar.com');
    await writeFile(eicar, eicarBytes());
    const put = await curl(['--upload-file', eicar, url('e2e/dist/-/tools/eicar.com')]);
    expect(put.status, put.body).toBe(403);
    const error = JSON.parse(put.body).errors[0];
    expect(error.code).toBe('DENIED');
    expect(error.message).toContain('malware found in file tools/eicar.com');
    expect(error.message).toMatch(new RegExp(`${testSignatureNames.eicarHash}|${testSignatureNames.eicarBody}`.replaceAll('.', '\\.')));
    const form = await curl(['--form', `file=@${eicar}`, url('e2e/dist/-/tools/')]);
    expect(form.status).toBe(403);
    expect((await curl([url('e2e/dist/-/tools/eicar.com')])).status).toBe(404);
  });

  test('refuses a bad path and a digest mismatch with 400', async () => {
    const traversal = await curl(['--path-as-is', url('e2e/dist/-/../../../etc/passwd')]);
    expect(traversal.status).toBe(400);
    const wrong = Buffer.alloc(32).toString('base64');
    const mismatch = await curl(['--upload-file', tarball, '--header', `Content-Digest: sha-256=:${wrong}:`, url('e2e/dist/-/wrong.tar.gz')]);
    expect(mismatch.status).toBe(400);
    expect(JSON.parse(mismatch.body).errors[0].code).toBe('DIGEST_INVALID');
  });
});
