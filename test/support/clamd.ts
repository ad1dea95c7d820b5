// A real clamd for tests: a temp dir with a tiny signature database (EICAR, and Debian's
// clam.exe when asked), a config from src/scanners/clamd/clamd-config.ts, listening on a
// free loopback port and on a unix socket. Needs Debian's clamav-daemon.
import { mkdir } from 'node:fs/promises';
import { writeClamdConfig, type ClamdConfigOptions } from '../../src/scanners/clamd/clamd-config.js';
import { startClamdProcess, type ClamdProcess } from '../../src/scanners/clamd/clamd-process.js';
import { writeTestSignatures } from '../../src/scanners/clamd/test-signatures.js';
import { freePort } from './server-process.js';
import { makeTempDir } from './temp-dir.js';

export type StartClamdOptions = Pick<
  ClamdConfigOptions,
  'streamMaxLength' | 'maxScanSize' | 'maxFileSize' | 'maxFiles' | 'maxScanTimeMs' | 'extra'
> & {
  /** Add a signature for Debian's clam.exe (clamav-testfiles). */
  clamExe?: boolean;
};

export interface RunningClamd {
  /** `tcp://127.0.0.1:PORT` */
  tcpAddress: string;
  socketPath: string;
  /** `unix:///…/clamd.sock` */
  socketAddress: string;
  /** The temp dir holding config, database, socket and log; dispose() removes it. */
  dir: string;
  dbDir: string;
  /** The pid of clamd's last start. */
  pid(): number | undefined;
  /** clamd's pid file (for CPU figures in benchmarks). */
  pidFile: string;
  /** Milliseconds the last start took, spawn to first PONG. */
  startMs(): number;
  logs(): string;
  /** Stops clamd and keeps the directory (for restart). */
  stop(): Promise<void>;
  /** Starts clamd again on the same config, port and socket. */
  restart(): Promise<void>;
  /** Stops clamd and removes everything. */
  dispose(): Promise<void>;
}

export async function startClamd(options: StartClamdOptions = {}): Promise<RunningClamd> {
  const dir = await makeTempDir('scangate-clamd');
  const dbDir = dir.join('db');
  await mkdir(dbDir);
  await writeTestSignatures(dbDir, { clamExe: options.clamExe });
  const port = await freePort();
  const socketPath = dir.join('clamd.sock');
  const configPath = dir.join('clamd.conf');
  const { clamExe: _, ...limits } = options;
  await writeClamdConfig(configPath, {
    ...limits,
    databaseDirectory: dbDir,
    localSocket: socketPath,
    tcpPort: port,
    logFile: dir.join('clamd.log'),
    pidFile: dir.join('clamd.pid'),
    temporaryDirectory: dir.path,
  });
  const tcpAddress = `tcp://127.0.0.1:${port}`;
  let running: ClamdProcess | undefined;
  const start = async () => {
    running = await startClamdProcess({ configPath, address: tcpAddress });
  };
  const stop = async () => {
    await running?.stop();
  };
  try {
    await start();
  } catch (err) {
    await dir.remove();
    throw err;
  }
  return {
    tcpAddress,
    socketPath,
    socketAddress: `unix://${socketPath}`,
    dir: dir.path,
    dbDir,
    pid: () => running?.pid,
    pidFile: dir.join('clamd.pid'),
    startMs: () => running?.startMs ?? 0,
    logs: () => running?.output() ?? '',
    stop,
    restart: async () => (await stop(), await start()),
    dispose: async () => (await stop(), await dir.remove()),
  };
}
