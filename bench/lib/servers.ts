// Starts the two registries under test as child processes, each in a temp dir of its own
// on the same disk, and stops them (and removes those dirs) however the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/server-process.js';
import { RegistryClient } from './oci-client.js';

export type RegistryKind = 'docker-registry' | 'scangate';

export interface RunningRegistry {
  /** The label printed in the results (two docker-registries get distinct labels). */
  readonly label: string;
  readonly kind: RegistryKind;
  readonly pid: number;
  readonly origin: string;
  readonly dir: string;
  readonly logFile: string;
  /** SIGTERM (SIGKILL after 5 s), then removes the temp dir, first copying the log into `keepLogIn`. */
  stop(keepLogIn?: string): Promise<void>;
}

export interface ScangateOptions {
  repoRoot: string;
  /** Extra node flags, e.g. --cpu-prof; the default is none. */
  nodeArgs: string[];
  /** A scangate YAML config; absent means the default config. */
  configFile?: string;
  /** true: identity and policy on (pulls with credentials); default `--no-auth`. */
  auth?: boolean;
}

const live = new Map<RunningRegistry, ChildProcess>();

export async function startDockerRegistry(label: string): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-docker-registry-'));
  const port = await freePort();
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, dockerRegistryConfig(join(dir, 'data'), port));
  return launch(label, 'docker-registry', dir, port, 'docker-registry', ['serve', configFile]);
}

export async function startScangate(label: string, options: ScangateOptions): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scangate-'));
  const port = await freePort();
  const entryPoint = join(options.repoRoot, 'bin/scangate.js');
  // The node flags of the entry point's first line, as running it as a program would (the
  // bench's own --scangate-node-arg come after them, so they win).
  const args = [...shebangNodeFlags(entryPoint), ...options.nodeArgs, entryPoint, 'serve'];
  if (options.configFile) args.push('--config', options.configFile);
  args.push('--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data'));
  // The registry core against docker-registry's: no scan gate (bench/scan-latency.ts measures that).
  if (!options.configFile) args.push('--no-scan');
  // docker-registry runs without auth in these benches, so scangate does too unless asked.
  if (!options.auth) args.push('--no-auth');
  return launch(label, 'scangate', dir, port, process.execPath, args, options.repoRoot);
}

/** The flags that `#!/usr/bin/env -S node FLAGS` gives node: none for a plain `#!/usr/bin/env node`. */
export function shebangNodeFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const words = first.replace(/^#!\S*env\s+(-S\s+)?/, '').trim().split(/\s+/);
  return words[0] === 'node' ? words.slice(1) : [];
}

/** Stops every registry still running; safe to call more than once, and from signal handlers. */
export async function stopAll(keepLogsIn?: string): Promise<void> {
  await Promise.all([...live.keys()].map((registry) => registry.stop(keepLogsIn)));
}

/** The last resort for process 'exit': no awaiting possible, so kill hard and remove. */
export function killAllSync(): void {
  for (const [registry, child] of live) {
    child.kill('SIGKILL');
    rmSync(registry.dir, { recursive: true, force: true });
  }
  live.clear();
}

// The stock Debian config, minus auth, plus what the benchmark needs: loopback port,
// temp storage, deletes on, warn-level logs. The inmemory blob-descriptor cache is the
// one the package ships, so the peer runs as it would be deployed.
function dockerRegistryConfig(rootDirectory: string, port: number): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${rootDirectory}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

async function launch(
  label: string,
  kind: RegistryKind,
  dir: string,
  port: number,
  command: string,
  args: string[],
  cwd = dir,
): Promise<RunningRegistry> {
  const logFile = join(dir, 'server.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const origin = `http://127.0.0.1:${port}`;
  const registry: RunningRegistry = {
    label,
    kind,
    pid: child.pid ?? -1,
    origin,
    dir,
    logFile,
    stop: (keepLogIn) => stopChild(registry, child, keepLogIn),
  };
  live.set(registry, child);
  await waitUntilReady(registry, child);
  return registry;
}

async function waitUntilReady(registry: RunningRegistry, child: ChildProcess): Promise<void> {
  const client = new RegistryClient(registry.origin, 1);
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      if (await client.ping()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.close();
  }
  const log = readFileSync(registry.logFile, 'utf8').slice(-2000);
  await registry.stop();
  throw new Error(`${registry.label} did not answer GET /v2/ within 30 s (exit ${child.exitCode}); log tail:\n${log}`);
}

// One stop per registry, however many callers ask (the run's end, a signal, a failure):
// the registry stays in `live` until its dir is gone, so a process 'exit' in between
// still finds it and cleans up.
const stopping = new Map<RunningRegistry, Promise<void>>();

function stopChild(registry: RunningRegistry, child: ChildProcess, keepLogIn?: string): Promise<void> {
  let stop = stopping.get(registry);
  if (!stop) {
    stop = terminate(child).then(() => {
      if (keepLogIn) {
        mkdirSync(keepLogIn, { recursive: true });
        copyFileSync(registry.logFile, join(keepLogIn, `${registry.label.replace(/[^\w.-]/g, '_')}.log`));
      }
      rmSync(registry.dir, { recursive: true, force: true });
      live.delete(registry);
    });
    stopping.set(registry, stop);
  }
  return stop;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
