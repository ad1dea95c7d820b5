// Runs the built `scangate` binary (bin/scangate.js over dist/) as a child process, the
// way an operator runs it, and collects its exit code and output.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const scangateBin = fileURLToPath(new URL('../../bin/scangate.js', import.meta.url));

/** The environment without any SCANGATE_* the developer may have set. */
export const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SCANGATE_')));

export interface ScangateRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface StartedScangate {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Standard output so far (with standard error too when started with `mergeStderr`). */
  output(): string;
}

/** Starts a long-running `scangate ARGS` (serve, worker, an interruptible scan) and collects its output. */
export function spawnScangate(args: string[], env: NodeJS.ProcessEnv = process.env, options: { mergeStderr?: boolean } = {}): StartedScangate {
  const child = spawn(process.execPath, [scangateBin, ...args], { env });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout.on('data', collect);
  if (options.mergeStderr) child.stderr.on('data', collect);
  else child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

/** Runs `scangate ARGS`; `stdin` is written to its standard input (else it is closed at once). */
export function runScangate(args: string[], env: NodeJS.ProcessEnv = process.env, stdin?: string): Promise<ScangateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [scangateBin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => {}); // a command that exits without reading stdin
    child.stdin.end(stdin);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
