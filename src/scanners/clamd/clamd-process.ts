// Runs clamd as a child process on a config written by clamd-config.ts, and waits until it
// answers PING (loading signatures takes seconds; the official database, much longer).
// Used by the embedded default and by the tests' harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { sendCommand } from './connection.js';
import { parseClamdAddress } from './address.js';

export interface ClamdProcessOptions {
  configPath: string;
  /** Where the config makes clamd listen; polled with PING. */
  address: string;
  /** Defaults to `clamd` on the PATH (Debian: /usr/sbin/clamd). */
  command?: string;
  readyTimeoutMs?: number;
}

export interface ClamdProcess {
  readonly pid: number | undefined;
  /** Milliseconds from spawn to the first PONG. */
  readonly startMs: number;
  /** The tail of what clamd printed (it logs to its LogFile too). */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

const outputCap = 64 * 1024;
const stopGraceMs = 10_000;

export async function startClamdProcess(options: ClamdProcessOptions): Promise<ClamdProcess> {
  const started = performance.now();
  const child = spawn(options.command ?? 'clamd', ['-c', options.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-outputCap));
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', (err) => append(Buffer.from(`spawn failed: ${err.message}\n`)));
  const stop = () => terminate(child, exited);
  try {
    await waitForPong(child, options, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  const startMs = performance.now() - started;
  return { pid: child.pid, startMs, output: () => output, stop };
}

async function waitForPong(child: ChildProcess, options: ClamdProcessOptions, output: () => string): Promise<void> {
  const target = parseClamdAddress(options.address);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`clamd exited (${child.exitCode ?? child.signalCode}) before it answered PING:\n${output()}`);
    }
    const pong = await sendCommand(target, 'zPING', AbortSignal.timeout(2_000)).catch(() => '');
    if (pong.trim() === 'PONG') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`clamd did not answer PING at ${options.address} in time:\n${output()}`);
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
  await exited;
  clearTimeout(timer);
}
