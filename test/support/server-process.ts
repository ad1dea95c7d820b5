// A registry started as a real child process for e2e tests: a free loopback port, a temp
// data dir, readiness by polling an HTTP path, and the process output kept for failures.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

export interface RunningRegistry {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `127.0.0.1:PORT`, the form OCI clients take in image references. */
  host: string;
  dataDir: string;
  /** SIGTERM, wait for exit (SIGKILL after a grace period), then remove the data dir
   * unless it was handed in. Resolves to how the process ended. */
  stop(): Promise<ExitStatus>;
  /** SIGKILL at once and wait for exit; keeps the data dir (a crash test may restart on it). */
  kill(): Promise<ExitStatus>;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessSpec {
  /** Names the server in error messages. */
  name: string;
  command: string;
  /** Builds argv from the chosen port and data dir. */
  args(host: string, dataDir: string): string[];
  /** Runs before the spawn, e.g. to write a config file that names the port. */
  prepare?(host: string, dataDir: string): Promise<void>;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Paths polled until one answers readyStatus. */
  readyPaths: string[];
  /** The status that means ready (default 200), e.g. 401 from a server that demands auth. */
  readyStatus?: number;
  readyTimeoutMs: number;
  /** Reuse this data dir (and leave it in place on stop) instead of a fresh temp dir. */
  dataDir?: string;
}

const stopGraceMs = 10_000;
/** Keep the tail only: a server that logs each request could grow without bound. */
const maxLogChars = 256 * 1024;

/** Asks the kernel for a free port. Another process could take it before the server
 * binds; startRegistryProcess retries once on that. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRegistryProcess(spec: ProcessSpec): Promise<RunningRegistry> {
  try {
    return await startOnce(spec);
  } catch (error) {
    if (!String(error).includes('EADDRINUSE')) throw error;
    return startOnce(spec);
  }
}

async function startOnce(spec: ProcessSpec): Promise<RunningRegistry> {
  const ownsDataDir = spec.dataDir === undefined;
  const dataDir = spec.dataDir ?? (await mkdtemp(join(tmpdir(), `${spec.name}-e2e-`)));
  const host = `127.0.0.1:${await freePort()}`;
  await spec.prepare?.(host, dataDir);
  const child = spawn(spec.command, spec.args(host, dataDir), {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const registry: RunningRegistry = {
    url: `http://${host}`,
    host,
    dataDir,
    logs: output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    stop: async () => {
      const status = await terminate(child, exited);
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      return status;
    },
  };
  try {
    await waitUntilReady(spec, registry, child);
  } catch (error) {
    await registry.stop();
    throw error;
  }
  return registry;
}

function collectOutput(child: ChildProcess): () => string {
  let text = '';
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if (text.length > maxLogChars) text = text.slice(-maxLogChars);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => text;
}

async function terminate(child: ChildProcess, exited: Promise<ExitStatus>): Promise<ExitStatus> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
  const status = await exited;
  clearTimeout(timer);
  return status;
}

async function waitUntilReady(spec: ProcessSpec, registry: RunningRegistry, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + spec.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${spec.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${registry.logs()}`);
    }
    for (const path of spec.readyPaths) {
      if (await answersStatus(`${registry.url}${path}`, spec.readyStatus ?? 200)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${spec.name} was not ready within ${spec.readyTimeoutMs} ms:\n${registry.logs()}`);
}

async function answersStatus(url: string, status: number): Promise<boolean> {
  try {
    const response = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await response.body.dump();
    return response.statusCode === status;
  } catch {
    return false;
  }
}
