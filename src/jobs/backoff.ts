// Exponential backoff with full jitter (the AWS Architecture Blog's "Full Jitter"): the
// delay before retry n is uniform in [0, min(cap, base * 2^(n-1))]. Jitter spreads the
// retries of jobs that failed together (a scanner that went down) so they do not return
// as one wave.

export interface BackoffOptions {
  /** The bound for the first retry. */
  baseMs: number;
  /** The bound never grows past this. */
  capMs: number;
  /** Uniform in [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 1_000, capMs: 10 * 60_000 };

/** The largest delay retry number `attempt` (1 for the first retry) can draw. */
export function backoffBoundMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  return Math.min(options.capMs, options.baseMs * 2 ** exponent);
}

export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  return Math.floor(random() * (backoffBoundMs(attempt, options) + 1));
}
