import { describe, expect, it } from 'vitest';
import { isDelivered, isRetryable, retryAfterMs, retryDelayMs } from './retry-schedule.js';

const schedule = { maxAttempts: 10, baseMs: 10_000, capMs: 3_600_000 };
const now = new Date('2030-01-01T00:00:00Z');

describe('the retry schedule', () => {
  it('doubles the bound per attempt up to the cap, drawing from its upper half', () => {
    const low = (attempt: number) => retryDelayMs(attempt, schedule, { status: 500 }, now, () => 0);
    const high = (attempt: number) => retryDelayMs(attempt, schedule, { status: 500 }, now, () => 0.999_999);
    expect([1, 2, 3, 4].map(low)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect([1, 2, 3].map(high)).toEqual([9_999, 19_999, 39_999]);
    expect(low(30)).toBe(1_800_000);
    expect(high(30)).toBeLessThanOrEqual(3_600_000);
  });

  it('waits at least what Retry-After asks (seconds or an HTTP date), up to a day', () => {
    expect(retryDelayMs(1, schedule, { status: 429, retryAfter: '120' }, now, () => 0)).toBe(120_000);
    expect(retryDelayMs(1, schedule, { status: 503, retryAfter: 'Wed, 01 Jan 2030 00:05:00 GMT' }, now, () => 0)).toBe(300_000);
    // Shorter than the backoff: the backoff stands.
    expect(retryDelayMs(3, schedule, { status: 429, retryAfter: '1' }, now, () => 0)).toBe(20_000);
    expect(retryDelayMs(1, schedule, { status: 429, retryAfter: String(7 * 24 * 3600) }, now, () => 0)).toBe(24 * 3_600_000);
    expect(retryDelayMs(1, schedule, { status: 429, retryAfter: 'soon' }, now, () => 0)).toBe(5_000);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('Tue, 31 Dec 2029 23:00:00 GMT', now)).toBe(0);
  });

  it('counts only a 2xx as delivered, and gives up at once only on 410 Gone', () => {
    expect([200, 202, 204, 299].map((status) => isDelivered({ status }))).toEqual([true, true, true, true]);
    expect([100, 301, 400, 500].map((status) => isDelivered({ status }))).toEqual([false, false, false, false]);
    expect(isDelivered({ error: 'ECONNREFUSED' })).toBe(false);
    expect([400, 401, 404, 408, 409, 413, 429, 500, 503].every((status) => isRetryable({ status }))).toBe(true);
    expect(isRetryable({ status: 410 })).toBe(false);
    expect(isRetryable({ error: 'timeout' })).toBe(true);
  });
});
