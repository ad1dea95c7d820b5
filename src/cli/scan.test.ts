// `scangate scan` as a CI pipeline runs it: the real binary over files, directories and OCI
// layouts (umoci; zstd through skopeo), against a real clamd and a scan command.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClamd, type RunningClamd } from '../../test/support/clamd.js';
import { buildFileImages, compressionOf, describeImage, type FileImage } from '../../test/support/file-images.js';
import { runScangate, spawnScangate } from '../../test/support/run-scangate.js';
import { freePort } from '../../test/support/server-process.js';
import { makeTempDir, type TempDir } from '../../test/support/temp-dir.js';
import { Skopeo } from '../../test/support/tools.js';
import { eicarBytes, testSignatureNames } from '../scanners/clamd/test-signatures.js';
import type { ScanReport } from './scan.js';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const eicarSignature = `(${escape(testSignatureNames.eicarHash)}|${escape(testSignatureNames.eicarBody)})\\.UNOFFICIAL`;


const scan = (args: readonly string[]) => runScangate(['scan', ...args], { ...process.env, SCANGATE_CONFIG: '', SCANGATE_LOG_LEVEL: '' });

let work: TempDir;
let clamd: RunningClamd;
let eicar: string;
let clean: string;

beforeAll(async () => {
  work = await makeTempDir('scan-cli');
  clamd = await startClamd();
  eicar = work.join('eicar.com');
  clean = work.join('clean.txt');
  // Written at test time: no file in the repository holds the EICAR string.
  await writeFile(eicar, eicarBytes());
  await writeFile(clean, 'nothing to see here\n');
});

afterAll(async () => {
  await clamd?.dispose();
  await work?.remove();
});

describe('scangate scan: files and directories', () => {
  it('exits 0 on a clean file, with a summary and nothing on stderr', async () => {
    const run = await scan(['--clamd', clamd.tcpAddress, clean]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^scan: 0 infected files, 0 errors; scanned 1 file \(20 B\) with clamd \(ClamAV [^)]+\) in \d+\.\d s\n$/);
  });

  it('exits 1 on EICAR, printing the finding as clamscan does', async () => {
    const run = await scan(['--clamd', clamd.tcpAddress, eicar, clean]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^${eicar}: ${eicarSignature} FOUND \\(clamd\\)$`, 'm'));
    expect(run.stdout).toMatch(/^scan: 1 infected file, 0 errors; scanned 2 files/m);
  });

  it('walks directories recursively, skipping symlinks inside them', async () => {
    const dir = work.join('tree');
    await mkdir(`${dir}/a/b/c`, { recursive: true });
    await writeFile(`${dir}/a/readme.txt`, 'clean');
    await writeFile(`${dir}/a/b/c/payload.bin`, eicarBytes());
    await symlink(eicar, `${dir}/a/link-to-eicar`);
    const run = await scan(['--clamd', clamd.tcpAddress, dir]);
    expect(run.code).toBe(1);
    const found = run.stdout.split('\n').filter((line) => line.includes(' FOUND '));
    expect(found).toEqual([expect.stringMatching(new RegExp(`^${dir}/a/b/c/payload\\.bin: ${eicarSignature} FOUND`))]);
    expect(run.stdout).toContain('scanned 2 files');
  });

  it('exits 2 when clamd is down: an unfinished scan is never clean', async () => {
    const run = await scan(['--clamd', `tcp://127.0.0.1:${await freePort()}`, clean]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(new RegExp(`^${clean}: clamd: .*ECONNREFUSED.* ERROR$`, 'm'));
    expect(run.stdout).toMatch(/^scan: 0 infected files, 1 error;/m);
  });

  it('exits 1 when something is infected even if another path fails, and 2 on a missing path alone', async () => {
    const missing = work.join('no-such-file');
    const both = await scan(['--clamd', clamd.tcpAddress, missing, eicar]);
    expect(both.code).toBe(1);
    expect(both.stdout).toContain(`${missing}: no such file or directory ERROR`);
    expect((await scan(['--clamd', clamd.tcpAddress, missing, clean])).code).toBe(2);
  });

  it('exits 2 on bad usage, never 1', async () => {
    expect((await scan([])).code).toBe(2);
    expect((await scan(['--no-such-flag', clean])).code).toBe(2);
  });

  it('runs a scan command: its FOUND line names the signature, and exit 3 is an error', async () => {
    const script = work.join('grep-scan.sh');
    await writeFile(
      script,
      '#!/bin/sh\n' +
        'case "$1" in *broken*) echo "engine broke" >&2; exit 3;; esac\n' +
        'if grep -q EICAR-STANDARD "$1"; then echo "$1: Grep.EICAR FOUND"; exit 1; fi\n' +
        'exit 0\n',
    );
    await chmod(script, 0o755);
    const broken = work.join('broken.txt');
    await writeFile(broken, 'fine');
    const run = await scan(['--scan-command', `${script} {path}`, clean, eicar, broken]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${eicar}: Grep.EICAR FOUND (command)\n`);
    expect(run.stdout).toMatch(new RegExp(`^${broken}: command: scan failed \\(exit 3\\): engine broke ERROR$`, 'm'));
    // Both scanners: each file is scanned by each; one line per scanner that found something.
    const twoScanners = await scan(['--clamd', clamd.tcpAddress, '--scan-command', `${script} {path}`, eicar]);
    expect(twoScanners.stdout).toMatch(/ FOUND \(clamd\)$/m);
    expect(twoScanners.stdout).toMatch(/ FOUND \(command\)$/m);
  });
});

describe('scangate scan: OCI image layouts', () => {
  let layout: string;
  let zstdLayout: string;
  let image: FileImage;
  let zstdImage: FileImage;

  beforeAll(async () => {
    layout = work.join('layout');
    const bigger = work.join('data.bin');
    await writeFile(bigger, Buffer.alloc(256 * 1024, 1));
    [image] = await buildFileImages(layout, [
      { tag: 'v1', files: [{ source: bigger, pathInImage: '/data.bin' }, { source: eicar, pathInImage: '/eicar.com' }] },
    ]).then((images) => images as [FileImage]);
    zstdLayout = work.join('zstd-layout');
    await new Skopeo({ cacheDir: work.join('skopeo-cache') }).copy(`oci:${layout}:v1`, `oci:${zstdLayout}:zst`, { destCompressFormat: 'zstd' });
    zstdImage = await describeImage(zstdLayout, 'zst');
    expect(await compressionOf(zstdLayout, zstdImage.layers[1]!.digest)).toBe('zstd');
  });

  it('scans every blob and names a finding by image and layer, in tar.gz and in tar+zstd', async () => {
    const run = await scan(['--clamd', clamd.tcpAddress, layout, zstdLayout]);
    expect(run.code).toBe(1);
    const found = run.stdout.split('\n').filter((line) => line.includes(' FOUND '));
    const gzLayer = image.layers[1]!.digest.replace(':', '/');
    const zstdLayer = zstdImage.layers[1]!.digest.replace(':', '/');
    expect(found.sort()).toEqual(
      [
        expect.stringMatching(new RegExp(`^${layout}/blobs/${gzLayer} \\(v1 layer 2/2\\): ${eicarSignature} FOUND \\(clamd\\)$`)),
        expect.stringMatching(new RegExp(`^${zstdLayout}/blobs/${zstdLayer} \\(zst layer 2/2\\): ${eicarSignature} FOUND \\(clamd\\)$`)),
      ],
    );
    // Every blob of both (manifest, config, 2 layers each) plus index.json and oci-layout.
    expect(run.stdout).toMatch(/^scan: 2 infected files, 0 errors; scanned 12 files/m);
  });

  it('reports layout findings as JSON with digest, media type roles and layout', async () => {
    const run = await scan(['--clamd', clamd.tcpAddress, '--json', layout]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as ScanReport;
    expect(report).toMatchObject({ result: 'infected', exitCode: 1, files: 6, infectedFiles: 1, errors: [] });
    expect(report.scanners).toEqual([{ name: 'clamd', engine: expect.stringMatching(/^ClamAV /) }]);
    expect(report.findings).toEqual([
      expect.objectContaining({ layout, digest: image.layers[1]!.digest, roles: ['v1 layer 2/2'], scanner: 'clamd' }),
    ]);
  });

  it('gives a scan command a layer copy named after its digest and media type', async () => {
    const script = work.join('name-scan.sh');
    await writeFile(script, '#!/bin/sh\ncase "$1" in *.tar.gz|*.tar.zst|*.json|*/index.json|*/oci-layout) exit 0;; esac\necho "$1: Unnamed FOUND"; exit 1\n');
    await chmod(script, 0o755);
    const run = await scan(['--scan-command', `${script} {path}`, layout, zstdLayout]);
    expect([run.code, run.stdout]).toEqual([0, expect.stringMatching(/^scan: 0 infected files, 0 errors; scanned 12 files/)]);
  });
});

describe('scangate scan: the managed clamd', () => {
  it('starts clamd under --data when no scanner is given, and stops it at exit', async () => {
    const data = work.join('data');
    const run = await scan(['--data', data, eicar]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^${eicar}: ${eicarSignature} FOUND \\(clamav\\)$`, 'm'));
    expect(run.stderr).toContain('TEST signatures'); // the managed clamd says which database it has
    expect(await processesRunning(`${data}/clamd/clamd.conf`)).toEqual([]);
    expect(existsSync(`${data}/clamd/clamd.sock`)).toBe(false);
  });

  it('on SIGTERM stops the scan, counts what was not scanned as errors, stops clamd and exits 2', async () => {
    const data = work.join('data-interrupted');
    const marker = work.join('slow-started');
    const script = work.join('slow-scan.sh');
    await writeFile(script, `#!/bin/sh\ntouch ${marker}\nsleep 30\n`);
    await chmod(script, 0o755);
    const config = work.join('interrupted.yml');
    const scanners = [
      { name: 'clamav', kind: 'clamd', managed: true },
      { name: 'slow', kind: 'command', command: `${script} {path}` },
    ];
    await writeFile(config, JSON.stringify({ data, scanning: { scanners } })); // JSON is YAML
    const { child, exited, output } = spawnScangate(['scan', '--config', config, clean], { ...process.env, SCANGATE_LOG_LEVEL: '' });
    await until(() => existsSync(marker));
    child.kill('SIGTERM');
    expect(await exited).toBe(2);
    expect(output()).toMatch(new RegExp(`^${clean}: slow: not scanned: interrupted ERROR$`, 'm'));
    expect(await processesRunning(`${data}/clamd/clamd.conf`)).toEqual([]);
  });
});

async function until(probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pids of processes whose command line mentions `text` (e.g. a clamd config path). */
async function processesRunning(text: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const matches = await Promise.all(pids.map(async (pid) => ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(text) ? Number(pid) : 0)));
  return matches.filter((pid) => pid > 0);
}
