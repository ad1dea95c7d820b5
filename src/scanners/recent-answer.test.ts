import { describe, expect, it } from 'vitest';
import { recentAnswer } from './recent-answer.js';

describe('recentAnswer', () => {
  it('asks once for calls within the window, again after it', async () => {
    let asked = 0;
    const shared = recentAnswer(60_000, async () => ++asked);
    expect(await Promise.all([shared(), shared()])).toEqual([1, 1]);
    expect(await shared()).toBe(1);
    const fresh = recentAnswer(0, async () => ++asked);
    expect([await fresh(), await fresh()]).toEqual([2, 3]);
  });

  it('never keeps a failure: the next call asks again', async () => {
    let asked = 0;
    const version = recentAnswer(60_000, async () => {
      asked++;
      if (asked === 1) throw new Error('connection refused');
      return 'v2';
    });
    await expect(version()).rejects.toThrow('connection refused');
    expect(await version()).toBe('v2');
    expect(asked).toBe(2);
  });
});
