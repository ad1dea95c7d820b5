import { describe, expect, it } from 'vitest';
import { BufferPool, BufferTiers } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands back released buffers, keeping at most maxIdle of them', () => {
    const pool = new BufferPool(1024, 2);
    const [a, b, c] = [pool.tryAcquire()!, pool.tryAcquire()!, pool.tryAcquire()!];
    expect(a.length).toBe(1024);
    for (const buffer of [a, b, c]) pool.release(buffer);
    expect(pool.idle).toBe(2);
    expect([a, b]).toContain(pool.tryAcquire());
  });

  it('refuses buffers of another size', () => {
    const pool = new BufferPool(1024, 4);
    pool.tryAcquire();
    pool.release(Buffer.alloc(10));
    expect(pool.idle).toBe(0);
  });

  it('lends at most maxLent at once; a buffer given back unusable frees its place but is not reused', () => {
    const pool = new BufferPool(1024, 4, 2);
    const [a, b] = [pool.tryAcquire()!, pool.tryAcquire()!];
    expect(pool.tryAcquire()).toBeUndefined();
    pool.release(a, false);
    expect(pool.idle).toBe(0);
    const c = pool.tryAcquire();
    expect(c).toBeDefined();
    expect(c).not.toBe(a);
    pool.release(b);
    pool.release(c!);
    expect(pool.lent).toBe(0);
    expect(pool.idle).toBe(2);
  });
});

describe('BufferTiers', () => {
  const tiers = () => {
    const large = new BufferPool(1024, 4, 4);
    const small = new BufferPool(256, 8);
    return { large, small, tiers: new BufferTiers([large, small]) };
  };

  it('lends from the first pool with room, then from the next one', () => {
    const { large, small, tiers: t } = tiers();
    const lent = Array.from({ length: 6 }, () => t.acquire());
    expect(lent.map((b) => b.length)).toEqual([1024, 1024, 1024, 1024, 256, 256]);
    for (const buffer of lent) t.release(buffer, true);
    expect([large.lent, small.lent, large.idle, small.idle]).toEqual([0, 0, 4, 2]);
  });

  it('gives a second buffer of the same size only while that pool is less than half lent', () => {
    const { large, tiers: t } = tiers();
    const first = t.acquire();
    const second = t.acquireSecond(first);
    expect(second?.length).toBe(1024);
    expect(large.lent).toBe(2);
    // Half lent: the next transfers get one large buffer each rather than none.
    const third = t.acquire();
    expect(t.acquireSecond(third)).toBeUndefined();
    expect(t.acquire().length).toBe(1024);
    expect(t.acquire().length).toBe(256);
  });

  it('insists that the last pool has no cap, so acquire never fails', () => {
    expect(() => new BufferTiers([new BufferPool(1024, 1, 1)])).toThrow(/no cap/);
  });
});
