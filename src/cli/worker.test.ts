// `scangate worker` next to a `serve` that runs no workers of its own (scanning.workers:
// false), on the same data dir (SQLite in WAL mode, one blob store): content pushed to
// serve is decided by the separate worker process, and SIGTERM lets a running scan finish.
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClamd, type RunningClamd } from '../../test/support/clamd.js';
import { spawnScangate } from '../../test/support/run-scangate.js';
import { startScangate } from '../../test/support/scangate-server.js';
import type { RunningRegistry } from '../../test/support/server-process.js';
import { makeTempDir, type TempDir } from '../../test/support/temp-dir.js';
import { digestBytes } from '../domain/digest.js';
import { createThrowawayDatabase } from '../metadata/testing/pg-database.js';
import { eicarBytes } from '../scanners/clamd/test-signatures.js';

let work: TempDir;
let clamd: RunningClamd;
let config: string;

beforeAll(async () => {
  work = await makeTempDir('worker-cli');
  clamd = await startClamd();
  config = work.join('no-workers.yml');
  await writeFile(config, 'scanning:\n  workers: false\n');
});

afterAll(async () => {
  await clamd?.dispose();
  await work?.remove();
});

describe('scangate worker', () => {
  let serve: RunningRegistry | undefined;
  afterAll(async () => void (await serve?.stop()));

  it('decides what a serve without workers holds, and exits 0 on SIGTERM', async () => {
    serve = await startScangate({ scan: ['--clamd', clamd.tcpAddress], args: ['--config', config] });
    expect(serve.logs()).toContain('scanning.workers is false');
    const clean = await pushBlob(serve.url, 'w/app', Buffer.from('plain bytes, nothing to find'));
    const infected = await pushBlob(serve.url, 'w/app', eicarBytes());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await blobStatus(serve.url, 'w/app', clean)).toBe(503); // nobody scans: still pending

    const worker = startWorker(['--data', serve.dataDir, '--config', config, '--clamd', clamd.tcpAddress]);
    expect(await worker.logged('scangate worker started')).toBe(true);
    expect(await eventually(() => blobStatus(serve!.url, 'w/app', clean), 200)).toBe(200);
    expect(await eventually(() => blobStatus(serve!.url, 'w/app', infected), 403)).toBe(403);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('"msg":"stopped"');
  });

  it('lets a scan running at SIGTERM finish before it exits', async () => {
    const marker = work.join('scan-started');
    const script = work.join('slow-clean.sh');
    await writeFile(script, `#!/bin/sh\ntouch ${marker}\nsleep 2\nexit 0\n`);
    await chmod(script, 0o755);
    const scanCommand = ['--scan-command', `${script} {path}`];
    const server = await startScangate({ scan: scanCommand, args: ['--config', config] });
    try {
      const digest = await pushBlob(server.url, 'w/slow', Buffer.from('scanned slowly'));
      const worker = startWorker(['--data', server.dataDir, '--config', config, ...scanCommand]);
      expect(await eventually(async () => existsSync(marker), true)).toBe(true);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(await blobStatus(server.url, 'w/slow', digest)).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('scangate worker on PostgreSQL', () => {
  it('two workers decide everything a serve without workers holds', async () => {
    const database = await createThrowawayDatabase('scangate_worker');
    const env = { SCANGATE_DATABASE_URL: database.url };
    const scan = ['--clamd', clamd.tcpAddress];
    const server = await startScangate({ scan, args: ['--config', config], env });
    const workers = [1, 2].map(() => startWorker(['--data', server.dataDir, '--config', config, ...scan], env));
    try {
      for (const worker of workers) expect(await worker.logged('scangate worker started')).toBe(true);
      const digests = await Promise.all(Array.from({ length: 8 }, (_, i) => pushBlob(server.url, 'pg/app', Buffer.from(`blob number ${i}`))));
      for (const digest of digests) expect(await eventually(() => blobStatus(server.url, 'pg/app', digest), 200)).toBe(200);
      for (const worker of workers) worker.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    } finally {
      for (const worker of workers) worker.child.kill('SIGKILL');
      await server.stop();
      await database.drop();
    }
  });
});

function startWorker(args: string[], env: NodeJS.ProcessEnv = {}) {
  const started = spawnScangate(['worker', ...args], { ...process.env, SCANGATE_CONFIG: '', SCANGATE_LOG_LEVEL: '', ...env }, { mergeStderr: true });
  return { ...started, logged: (text: string) => eventually(async () => started.output().includes(text), true) };
}

/** Monolithic upload: POST a session, PUT the bytes with their digest. */
async function pushBlob(base: string, repository: string, bytes: Buffer): Promise<string> {
  const started = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  expect(started.status).toBe(202);
  const digest = digestBytes(bytes);
  const location = new URL(started.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(bytes), headers: { 'content-type': 'application/octet-stream' } });
  expect(put.status).toBe(201);
  return digest;
}

async function blobStatus(base: string, repository: string, digest: string): Promise<number> {
  const response = await fetch(`${base}/v2/${repository}/blobs/${digest}`);
  await response.arrayBuffer();
  return response.status;
}

/** Polls until `probe` gives `wanted` (or time is up: then the last value, for the assertion). */
async function eventually<T>(probe: () => Promise<T>, wanted: T, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value === wanted || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
