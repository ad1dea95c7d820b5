// The clamd both sides of the scan benchmark talk to: Debian's clamd on a loopback port,
// with the config writer, process runner and test signatures scangate itself uses, and
// one change: DisableCache. clamd caches the hashes of clean files, so the second scan of
// the same bytes (raw, then through scangate) would be free; with the cache off each side
// pays for the full scan, which is what a first push of new content costs.
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeClamdConfig } from '../../src/scanners/clamd/clamd-config.js';
import { startClamdProcess, type ClamdProcess } from '../../src/scanners/clamd/clamd-process.js';
import { writeTestSignatures } from '../../src/scanners/clamd/test-signatures.js';
import { freePort } from '../../test/support/server-process.js';

export interface BenchClamd {
  /** `tcp://127.0.0.1:PORT` */
  address: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

let running: { process: ClamdProcess; dir: string } | undefined;

export async function startBenchClamd(): Promise<BenchClamd> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-clamd-'));
  const dbDir = join(dir, 'db');
  await mkdir(dbDir);
  await writeTestSignatures(dbDir, { clamExe: false });
  const port = await freePort();
  const configPath = join(dir, 'clamd.conf');
  await writeClamdConfig(configPath, {
    databaseDirectory: dbDir,
    tcpPort: port,
    logFile: join(dir, 'clamd.log'),
    pidFile: join(dir, 'clamd.pid'),
    temporaryDirectory: dir,
    extra: { DisableCache: 'yes' },
  });
  const address = `tcp://127.0.0.1:${port}`;
  const child = await startClamdProcess({ configPath, address }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  running = { process: child, dir };
  const pid = child.pid ?? Number(readFileSync(join(dir, 'clamd.pid'), 'utf8'));
  return { address, pid, dir, stop: stopBenchClamd };
}

export async function stopBenchClamd(): Promise<void> {
  const current = running;
  if (!current) return;
  await current.process.stop();
  rmSync(current.dir, { recursive: true, force: true });
  if (running === current) running = undefined;
}

/** For process 'exit', where nothing can be awaited. */
export function killBenchClamdSync(): void {
  if (!running) return;
  if (running.process.pid) {
    try {
      process.kill(running.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(running.dir, { recursive: true, force: true });
  running = undefined;
}
