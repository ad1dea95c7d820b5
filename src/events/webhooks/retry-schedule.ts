// When a failed delivery is tried again, and whether it is at all.
//
// Every answer but a 2xx is a failure (Standard Webhooks), and so are network errors and
// timeouts. All are retried, 4xx included: a receiver answering 401, 403 or 404 is usually
// one being deployed or fixed (a wrong secret, a route not there yet), and the retries span
// hours. The exception is 410 Gone, the receiver saying the endpoint is gone for good: dead at
// once. A delivery out of attempts is dead too (the dead-letter state); both can be replayed.
//
// The delay before retry n is drawn from [bound/2, bound] with bound = min(cap, base * 2^(n-1))
// ("equal jitter": spread out, yet never sooner than half the bound). A Retry-After from the
// receiver (seconds or an HTTP date; on 429, 503 or any other failure) is honoured: the delay
// is at least that, up to a day.
export interface RetrySchedule {
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

const maxRetryAfterMs = 24 * 60 * 60_000;

export type AttemptResult = { status: number; retryAfter?: string | undefined } | { error: string };

export function isDelivered(result: AttemptResult): boolean {
  return 'status' in result && result.status >= 200 && result.status < 300;
}

/** Whether a failure may be retried at all (attempts aside). */
export function isRetryable(result: AttemptResult): boolean {
  return !('status' in result) || result.status !== 410;
}

export function retryDelayMs(attempt: number, schedule: RetrySchedule, result: AttemptResult, now: Date, random: () => number = Math.random): number {
  const bound = Math.min(schedule.capMs, schedule.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  const backoff = Math.floor(bound / 2 + (random() * bound) / 2);
  const asked = 'status' in result ? retryAfterMs(result.retryAfter, now) : undefined;
  return asked === undefined ? backoff : Math.max(backoff, Math.min(asked, maxRetryAfterMs));
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or malformed. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
