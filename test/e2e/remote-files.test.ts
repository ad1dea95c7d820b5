// File remotes with a real server, a real clamd and curl, against a plain static HTTP server
// started here (it counts the requests it answers) that publishes a PULP_MANIFEST: on_demand
// downloads (whole, ranged, under their name) fetched once and then served locally; ten
// concurrent curls of an uncached file cause one upstream GET; streamed downloads fetched
// again for each request; an EICAR file refused with 403 naming the signature, and again
// without a download; a file whose bytes do not match the manifest's sha256 refused with 502
// and nothing kept; `scangate sync` of an immediate remote.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startStaticServer, type StaticServer } from '../../src/remotes/files/testing/static-server.js';
import { eicarBytes, testSignatureNames } from '../../src/scanners/clamd/test-signatures.js';
import { startClamd, type RunningClamd } from '../support/clamd.js';
import { curl, type CurlAnswer } from '../support/curl.js';
import { runScangateCli, startScangate, type RunningRegistry } from '../support/scangate-server.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { ToolError } from '../support/tools.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const eicarSignature = new RegExp(`${testSignatureNames.eicarBody.replaceAll('.', '\\.')}|${testSignatureNames.eicarHash.replaceAll('.', '\\.')}`);

describe('file remotes: curl through a real server with clamd, from a static HTTP upstream', () => {
  let work: TempDir;
  let clamd: RunningClamd;
  let upstream: StaticServer;
  let scangate: RunningRegistry;
  const app = randomBytes(3 * 1024 * 1024);
  const shared = randomBytes(256 * 1024);

  beforeAll(async () => {
    work = await makeTempDir('e2e-remote-files');
    [clamd, upstream] = await Promise.all([startClamd(), startStaticServer()]);
    await upstream.put('releases/app-1.0.tar.gz', app);
    await upstream.put('shared.bin', shared);
    await upstream.put('notes.txt', 'release notes\n');
    await upstream.put('tools/eicar.com', eicarBytes());
    await upstream.put('bent.bin', 'not what the manifest says');
    await upstream.put('unlisted.txt', 'here, but not in the manifest');
    await upstream.writeManifest(['releases/app-1.0.tar.gz', 'shared.bin', 'notes.txt', 'tools/eicar.com', 'bent.bin'], 'PULP_MANIFEST', { 'bent.bin': '0'.repeat(64) });
    scangate = await startScangate({
      scan: ['--clamd', clamd.tcpAddress],
      args: [
        '--remote', `dl=${upstream.url},kind=file,manifest=PULP_MANIFEST`,
        '--remote', `live=${upstream.url},kind=file,manifest=PULP_MANIFEST,policy=streamed`,
      ],
    });
  });

  afterAll(async () => {
    await scangate?.stop();
    await upstream?.stop();
    await clamd?.dispose();
    await work?.remove();
  });

  const url = (path: string) => `${scangate.url}/files/${path}`;

  test('on_demand: downloads whole, ranged and under its name, fetched once upstream', async () => {
    const whole = await curl([url('dl/-/releases/app-1.0.tar.gz')], work.join('whole'));
    expect(whole.status).toBe(200);
    expect(sha256(await readFile(work.join('whole')))).toBe(sha256(app));
    const ranged = await curl(['--range', '0-99', url('dl/-/releases/app-1.0.tar.gz')], work.join('first-100'));
    expect(ranged.status).toBe(206);
    expect((await readFile(work.join('first-100'))).equals(app.subarray(0, 100))).toBe(true);
    await mkdir(work.join('downloads'));
    const named = await curl(['--remote-name', '--remote-header-name', '--output-dir', work.join('downloads'), url('dl/-/releases/app-1.0.tar.gz')]);
    expect(named.status).toBe(200);
    expect(sha256(await readFile(work.join('downloads', 'app-1.0.tar.gz')))).toBe(sha256(app));
    expect(upstream.count('GET', '/releases/app-1.0.tar.gz')).toBe(1);
  });

  test('ten concurrent curls of an uncached file cause one upstream GET', async () => {
    upstream.options.delayMs = 500;
    let answers: CurlAnswer[];
    try {
      answers = await Promise.all(Array.from({ length: 10 }, (_, i) => curl([url('dl/-/shared.bin')], work.join(`shared-${i}`))));
    } finally {
      upstream.options.delayMs = 0;
    }
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    for (let i = 0; i < 10; i++) expect(sha256(await readFile(work.join(`shared-${i}`)))).toBe(sha256(shared));
    expect(upstream.count('GET', '/shared.bin')).toBe(1);
  });

  test('streamed: each download is fetched again upstream', async () => {
    for (let i = 0; i < 2; i++) expect((await curl([url('live/-/notes.txt')])).body).toBe('release notes\n');
    expect(upstream.count('GET', '/notes.txt')).toBe(2);
  });

  test('an EICAR file is refused with 403 naming the signature, and later without a download', async () => {
    for (const remote of ['dl', 'dl', 'live']) {
      const answer = await curl([url(`${remote}/-/tools/eicar.com`)]);
      expect(answer.status, answer.body).toBe(403);
      const error = JSON.parse(answer.body).errors[0];
      expect(error.code).toBe('DENIED');
      expect(error.message).toMatch(eicarSignature);
    }
    expect(upstream.count('GET', '/tools/eicar.com')).toBe(1);
  });

  test('a file whose bytes do not match the manifest\'s sha256 is refused with 502 and not kept; an unlisted one is 404', async () => {
    const bent = await curl([url('dl/-/bent.bin')]);
    expect(bent.status).toBe(502);
    expect(JSON.parse(bent.body).errors[0].message).toContain("not the manifest's sha256:0000");
    const unlisted = await curl([url('dl/-/unlisted.txt')]);
    expect(unlisted.status).toBe(404);
    expect(upstream.count('GET', '/unlisted.txt')).toBe(0);
    const listing = JSON.parse((await curl([url('dl/-/')])).body).files as { path: string; scanState: string }[];
    expect(listing.map((f) => [f.path, f.scanState])).toEqual([
      ['bent.bin', 'unfetched'],
      ['notes.txt', 'clean'],
      ['releases/app-1.0.tar.gz', 'clean'],
      ['shared.bin', 'clean'],
      ['tools/eicar.com', 'infected'],
    ]);
  });

  test('scangate sync brings an immediate remote\'s clean files, reports the refused ones, and the server serves them', async () => {
    const argv = ['sync', 'pre', '--data', scangate.dataDir, '--clamd', clamd.tcpAddress, '--remote', `pre=${upstream.url},kind=file,manifest=PULP_MANIFEST,policy=immediate`];
    const failure = await runScangateCli(argv).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Exit 2: the mismatching file is an error (1 alone would mean only refusals).
    expect(failure).toBeInstanceOf(ToolError);
    const { exitCode, stdout } = failure as ToolError;
    expect(exitCode).toBe(2);
    // Bytes already in the store (fetched through dl) are not downloaded again.
    expect(stdout).toContain(`pre/-/releases/app-1.0.tar.gz synced sha256:${sha256(app)}`);
    expect(upstream.count('GET', '/releases/app-1.0.tar.gz')).toBe(1);
    expect(stdout).toMatch(/pre\/-\/tools\/eicar\.com refused sha256:[0-9a-f]{64}: /);
    expect(stdout).toContain('sync: 3 synced, 0 already here, 1 refused, 0 removed, 1 errors');
    expect((await curl([url('pre/-/notes.txt')])).body).toBe('release notes\n');
    expect((await curl([url('pre/-/tools/eicar.com')])).status).toBe(404);
  });
});
