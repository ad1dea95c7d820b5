import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands back released buffers, keeping at most maxIdle of them', () => {
    const pool = new BufferPool(1024, 2);
    const [a, b, c] = [pool.acquire(), pool.acquire(), pool.acquire()];
    expect(a.length).toBe(1024);
    for (const buffer of [a, b, c]) pool.release(buffer);
    expect(pool.idle).toBe(2);
    expect([a, b]).toContain(pool.acquire());
  });

  it('refuses buffers of another size', () => {
    const pool = new BufferPool(1024, 4);
    pool.release(Buffer.alloc(10));
    expect(pool.idle).toBe(0);
  });
});
