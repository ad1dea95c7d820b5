// curl as the e2e tests run it: the status and the body (or the body written to a file).
import { run } from './tools.js';

export interface CurlAnswer {
  status: number;
  body: string;
}

/** Runs curl with `args`, the body to `out` (or captured), and answers the status and body. */
export async function curl(args: string[], out?: string): Promise<CurlAnswer> {
  const { stdout } = await run('curl', ['--silent', '--show-error', ...(out ? ['--output', out] : []), '--write-out', '\n%{http_code}', ...args]);
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}
