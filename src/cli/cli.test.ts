// The real binary (bin/scangate.js over dist/, built by test/global-setup.ts), run as a
// child process the way an operator runs it.
import { request } from 'node:http';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { composeMigrated } from '../compose.js';
import { loadConfig } from '../config/load.js';
import { digestBytes, type Digest } from '../domain/digest.js';
import { FilesystemBlobStore } from '../storage/fs-blob-store.js';
import { putBlobBytes } from '../storage/put-bytes.js';
import { cleanEnv, runScangate, spawnScangate } from '../../test/support/run-scangate.js';


const scangate = (args: string[], env: NodeJS.ProcessEnv = {}) => runScangate(args, { ...cleanEnv, ...env });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-cli-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('scangate --help', () => {
  it('lists the commands', async () => {
    const run = await scangate(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'config', 'fsck']) expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('documents the shared flags on each command', async () => {
    for (const args of [['serve', '--help'], ['config', 'print', '--help'], ['fsck', '--help']]) {
      const run = await scangate(args);
      expect(run.code).toBe(0);
      for (const flag of ['--config <file>', '--data <dir>', '--log-level <level>']) expect(run.stdout).toContain(flag);
    }
    expect((await scangate(['serve', '--help'])).stdout).toContain('--listen <host:port>');
  });
});

describe('scangate config print', () => {
  it('exits non-zero on a bad file, naming the key', async () => {
    const file = join(dir, 'scangate.yml');
    await writeFile(file, 'registry:\n  maxManifestByte: 10\n');
    const run = await scangate(['config', 'print', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`scangate: config error in ${file}: registry.maxManifestByte: unknown key\n`);
  });

  it('prints the effective config as YAML, flags over env over file, secrets hidden', async () => {
    const file = join(dir, 'scangate.yml');
    await writeFile(file, 'listen: 127.0.0.1:7000\ndata: /from-file\n');
    const env = { SCANGATE_CONFIG: file, SCANGATE_DATA: '/from-env', SCANGATE_DATABASE_URL: 'postgres://scangate:hunter2@db:5432/scangate' };
    const run = await scangate(['config', 'print', '--listen', '127.0.0.1:7001'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('listen: 127.0.0.1:7001\n');
    expect(run.stdout).toContain('data: /from-env\n');
    expect(run.stdout).toContain('url: postgres://scangate:********@db:5432/scangate\n');
    expect(run.stdout).not.toContain('hunter2');
  });
});

describe('scangate serve', () => {
  it('sweeps stale uploads, serves health and metrics, and exits 0 on SIGTERM', async () => {
    const data = join(dir, 'data');
    const staleId = await stageStaleUpload(join(data, 'blobs'));
    const { child, url, exited, stdout: output } = await startServe(data);
    const stdout = output();

    expect(JSON.parse(stdout.split('\n').find((line) => line.includes('scangate listening'))!)).toMatchObject({ level: 30 });
    // --no-auth (the harness default) is said loudly, at warn level.
    expect(JSON.parse(stdout.split('\n').find((line) => line.includes('AUTH IS OFF'))!)).toMatchObject({ level: 40 });
    expect(await readdir(join(data, 'blobs', 'uploads'))).not.toContain(staleId);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ready' });
    expect((await fetch(`${url}/v2/`)).headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('scangate_http_requests_total{method="GET",route="/v2",status="200"} 1');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('"msg":"stopped"');
  });
});

describe('scangate serve draining', () => {
  it('lets an upload in flight at SIGTERM finish, refuses new connections, then exits 0', async () => {
    const { child, url, exited } = await startServe(join(dir, 'data'));
    const started = await fetch(`${url}/v2/drain/test/blobs/uploads/`, { method: 'POST' });
    expect(started.status).toBe(202);
    const location = new URL(started.headers.get('location')!, url);
    const content = Buffer.alloc(256 * 1024, 7);
    location.searchParams.set('digest', digestBytes(content));

    const upload = request(location, { method: 'PUT', headers: { 'content-length': String(content.length) } });
    const answered = new Promise<number>((resolve, reject) => {
      upload.once('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      upload.once('error', reject);
    });
    upload.write(content.subarray(0, 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // No longer accepting: a new connection is refused (a reused one would get a 503).
    const late = await fetch(`${url}/healthz`).then((res) => res.status, () => 'refused');
    expect(['refused', 503]).toContain(late);
    upload.end(content.subarray(1024));

    expect(await answered).toBe(201);
    const answeredAt = Date.now();
    expect(await exited).toBe(0);
    // The upload's keep-alive socket closes with its response; it does not hold the exit.
    expect(Date.now() - answeredAt).toBeLessThan(3000);
  });
});

describe('scangate fsck', () => {
  it('exits 0 on a clean store and 1 naming a blob corrupted on disk', async () => {
    const data = join(dir, 'data');
    const digests = await seedStore(data, ['first blob', 'second blob']);
    const clean = await scangate(['fsck', '--data', data]);
    expect([clean.code, clean.stdout]).toEqual([0, expect.stringMatching(/^fsck: no faults; checked 2 blobs/)]);

    const victim = digests[1]!;
    const hex = victim.slice('sha256:'.length);
    await writeFile(join(data, 'blobs', 'blobs', 'sha256', hex.slice(0, 2), hex), 'SECOND BLOB');
    const faulty = await scangate(['fsck', '--data', data]);
    expect(faulty.code).toBe(1);
    expect(faulty.stdout).toContain(`blob-corrupt ${victim}: stored bytes hash to ${digestBytes('SECOND BLOB')}`);
    expect(faulty.stdout).toMatch(/^fsck: 1 fault; checked 2 blobs/m);
    expect(faulty.stderr).toBe(''); // not a TTY: no progress bar

    const json = await scangate(['fsck', '--data', data, '--json']);
    expect(JSON.parse(json.stdout).faults).toHaveLength(1);
  });
});

/** `scangate serve` on a free port; resolves once it logs the URL it listens on. */
async function startServe(data: string) {
  const { child, exited, output } = spawnScangate(['serve', '--no-scan', '--no-auth', '--listen', '127.0.0.1:0', '--data', data], cleanEnv);
  const url = await waitFor(() => /scangate listening on (http:\/\/[^"]+)/.exec(output())?.[1]);
  return { child, url, exited, stdout: output };
}

/** A staged upload last touched two days ago, older than the default upload TTL (1 day). */
async function stageStaleUpload(root: string): Promise<string> {
  const upload = await new FilesystemBlobStore({ root, fsync: false }).createUpload();
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  for (const name of await readdir(join(root, 'uploads'))) await utimes(join(root, 'uploads', name), twoDaysAgo, twoDaysAgo);
  return upload.id;
}

/** Blobs stored and linked through the same composition the server uses. */
async function seedStore(data: string, contents: string[]): Promise<Digest[]> {
  const { config } = await loadConfig({ flags: { data }, env: {} });
  const services = await composeMigrated(config);
  try {
    const digests: Digest[] = [];
    for (const content of contents) {
      const bytes = new TextEncoder().encode(content);
      const digest = digestBytes(bytes);
      await putBlobBytes(services.blobs, bytes, digest);
      await services.metadata.linkBlob('seed', { digest, size: bytes.length });
      digests.push(digest);
    }
    return digests;
  } finally {
    await services.close();
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
