import { describe, expect, it } from 'vitest';
import { GroupSync } from './wal-sync.js';

/** A flush that finishes when the test says so, recording when each one started. */
function controlledFlush() {
  const started: number[] = [];
  const finishers: (() => void)[] = [];
  let clock = 0;
  const flush = () =>
    new Promise<void>((resolve) => {
      started.push(clock++);
      finishers.push(resolve);
    });
  const finishNext = async () => {
    finishers.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { flush, started, finishNext };
}

describe('GroupSync', () => {
  it('shares one flush among the callers waiting at the same moment', async () => {
    const { flush, started, finishNext } = controlledFlush();
    const group = new GroupSync(flush);
    const first = group.sync();
    // Arrive while the first flush runs: they need a flush that starts after them.
    const laters = [group.sync(), group.sync(), group.sync()];
    expect(started).toHaveLength(1);
    await finishNext();
    await first;
    expect(started).toHaveLength(2); // one more flush, for all three late callers
    await finishNext();
    await Promise.all(laters);
    expect(started).toHaveLength(2);
  });

  it('never lets a caller ride on a flush that started before it', async () => {
    const { flush, started, finishNext } = controlledFlush();
    const group = new GroupSync(flush);
    void group.sync();
    let lateDone = false;
    const late = group.sync().then(() => (lateDone = true));
    await finishNext();
    expect(lateDone).toBe(false);
    await finishNext();
    await late;
    expect(started).toHaveLength(2);
  });

  it('passes a failed flush to its callers and starts afresh afterwards', async () => {
    let fail = true;
    const group = new GroupSync(async () => {
      if (fail) throw new Error('EIO');
    });
    await expect(group.sync()).rejects.toThrow('EIO');
    fail = false;
    await expect(group.sync()).resolves.toBeUndefined();
  });
});
