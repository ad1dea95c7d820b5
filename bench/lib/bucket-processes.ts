// The child processes of the bucket benchmark: s3rver, and `scangate bucket watch` workers
// (the real command, as an operator runs it), each started, awaited until ready, and stopped
// however the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Starts `node ARGS` and resolves once its output matches `ready` (or rejects if it exits first). */
export async function startChild(label: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 60_000): Promise<Child> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => (live.delete(child), resolve())));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${label} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { pid: child.pid!, output: () => output, stop };
}

/** s3rver on a free port in `dir`; resolves with its endpoint. */
export async function startS3rverChild(dir: string): Promise<Child & { endpoint: string }> {
  const script = fileURLToPath(new URL('./s3rver-child.js', import.meta.url));
  const child = await startChild('s3rver', [script, dir], process.env, /\{"port":\d+\}/);
  const { port } = JSON.parse(/\{"port":\d+\}/.exec(child.output())![0]) as { port: number };
  return { ...child, endpoint: `http://127.0.0.1:${port}` };
}

/** For process 'exit', where nothing can be awaited. */
export function killChildrenSync(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
