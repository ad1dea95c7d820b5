import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

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
