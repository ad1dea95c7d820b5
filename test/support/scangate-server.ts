// Starts the built scangate (`node bin/scangate.js serve`) as a real process on a free
// loopback port with a temp data dir. dist/ must exist: the vitest globalSetup builds it.
import { fileURLToPath } from 'node:url';
import { startRegistryProcess, type RunningRegistry } from './server-process.js';
import { run, type RunResult, type RunOptions } from './tools.js';

export type { ExitStatus, RunningRegistry } from './server-process.js';

export interface ScangateOptions {
  /** More `serve` arguments, e.g. `['--config', file]`. */
  args?: string[];
  /**
   * How it scans: e.g. `['--clamd', clamd.tcpAddress]`. Default `['--no-scan']`: tests of
   * the registry alone do not start the managed clamd.
   */
  scan?: string[];
  /** true: identity and policy on. Default off (`--no-auth`), like `--no-scan`. */
  auth?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Restart on an existing data dir (it is then left in place by stop()). */
  dataDir?: string;
  readyTimeoutMs?: number;
}

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entryPoint = fileURLToPath(new URL('../../bin/scangate.js', import.meta.url));

export async function startScangate(options: ScangateOptions = {}): Promise<RunningRegistry> {
  return startRegistryProcess({
    name: 'scangate',
    command: process.execPath,
    args: (host, dataDir) => [entryPoint, 'serve', '--listen', host, '--data', dataDir, ...(options.scan ?? ['--no-scan']), ...(options.auth ? [] : ['--no-auth']), ...(options.args ?? [])],
    env: options.env,
    cwd: repoRoot,
    readyPaths: ['/v2/', '/healthz'],
    readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
    dataDir: options.dataDir,
  });
}

/** Runs another `scangate` subcommand (fsck, config print) to completion. */
export function runScangateCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [entryPoint, ...args], { cwd: repoRoot, ...options });
}
