import { expect, it } from 'vitest';
import { backoffBoundMs, backoffDelayMs } from './backoff.js';

const options = { baseMs: 1_000, capMs: 60_000 };

it('doubles the bound per retry up to the cap, even for absurd attempt numbers', () => {
  expect([1, 2, 3, 6, 7, 100, 10_000].map((attempt) => backoffBoundMs(attempt, options))).toEqual([
    1_000, 2_000, 4_000, 32_000, 60_000, 60_000, 60_000,
  ]);
});

it('draws a whole number of milliseconds from 0 to the bound inclusive', () => {
  expect(backoffDelayMs(3, { ...options, random: () => 0 })).toBe(0);
  expect(backoffDelayMs(3, { ...options, random: () => 0.999_999_999 })).toBe(4_000);
  expect(backoffDelayMs(3, { ...options, random: () => 0.5 })).toBe(2_000);
});
