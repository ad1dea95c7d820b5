// Runs the built `scangate` binary (bin/scangate.js over dist/) as a child process, the
// way an operator runs it, and collects its exit code and output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const scangateBin = fileURLToPath(new URL('../../bin/scangate.js', import.meta.url));

export interface ScangateRun {
  code: number | null;
  stdout: string;
  stderr: string;
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
