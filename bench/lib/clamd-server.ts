// The clamd both sides of the scan benchmark talk to: the e2e tests' clamd (Debian's clamd
// on a loopback port, with scangate's own config writer, process runner and test
// signatures) with one change: DisableCache. clamd caches the hashes of clean files, so the
// second scan of the same bytes (raw, then through scangate) would be free; with the cache
// off each side pays for the full scan, which is what a first push of new content costs.
import { rmSync } from 'node:fs';
import { startClamd, type RunningClamd } from '../../test/support/clamd.js';

export interface BenchClamd {
  /** `tcp://127.0.0.1:PORT` */
  address: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

let running: RunningClamd | undefined;

export async function startBenchClamd(): Promise<BenchClamd> {
  const clamd = await startClamd({ extra: { DisableCache: 'yes' } });
  running = clamd;
  return { address: clamd.tcpAddress, pid: clamd.pid() ?? -1, dir: clamd.dir, stop: stopBenchClamd };
}

export async function stopBenchClamd(): Promise<void> {
  const current = running;
  if (!current) return;
  await current.dispose();
  if (running === current) running = undefined;
}

/** For process 'exit', where nothing can be awaited. */
export function killBenchClamdSync(): void {
  if (!running) return;
  const pid = running.pid();
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(running.dir, { recursive: true, force: true });
  running = undefined;
}
