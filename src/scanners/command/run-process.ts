// Runs a program without a shell in its own process group, so a timeout or an abort can
// kill it together with anything it started. Output (stdout and stderr, interleaved as they
// arrive) is kept up to a cap; the rest is counted, not stored.
import { spawn } from 'node:child_process';

export interface RunOutcome {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs: number;
  outputCap: number;
  signal?: AbortSignal;
}

/** Resolves when the process has exited; rejects only when it could not be started. */
export function runProcess(argv: readonly string[], options: RunOptions): Promise<RunOutcome> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { detached: true, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let kept = 0;
    let dropped = 0;
    let timedOut = false;
    const keep = (chunk: Buffer) => {
      const part = chunk.subarray(0, Math.max(0, options.outputCap - kept));
      if (part.length > 0) chunks.push(part);
      kept += part.length;
      dropped += chunk.length - part.length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => ((timedOut = true), killGroup()), options.timeoutMs);
    options.signal?.addEventListener('abort', killGroup, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', killGroup);
    };
    child.once('error', (err) => (cleanup(), reject(err)));
    child.once('close', (code, signal) => {
      cleanup();
      // The leader has exited; children it left in the group must not outlive the scan.
      killGroup();
      let output = Buffer.concat(chunks).toString('utf8');
      if (dropped > 0) output += `\n[${dropped} more bytes of output not kept]`;
      resolve({ code, signal, output, timedOut });
    });
  });
}
