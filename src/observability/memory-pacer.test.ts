// The pacer collects the young generation as bytes stream in: a stream of 64 KiB chunks
// (what a socket hands over) through it keeps external memory bounded by its period instead
// of V8's 64 MiB allowance.
import { describe, expect, it } from 'vitest';
import { MemoryPacer } from './memory-pacer.js';

describe('MemoryPacer', () => {
  it('holds the memory of short-lived chunks near its period', () => {
    const pacer = new MemoryPacer(8 * 1024 * 1024);
    const chunkBytes = 64 * 1024;
    let peak = 0;
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 4096; i++) {
      // 256 MiB of chunks, each dropped at once, as an upload's are after their write.
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      chunk[0] = i;
      pacer.note(chunk.length);
      if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    // Without pacing this climbs to V8's allowance (~64 MiB and more) before a collection.
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });

  it('counts across calls and does nothing below its period', () => {
    const pacer = new MemoryPacer(1024);
    expect(() => {
      for (let i = 0; i < 100; i++) pacer.note(100);
    }).not.toThrow();
  });

  it('collects what an ended ingest left behind when it settles', async () => {
    const pacer = new MemoryPacer(64 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 256; i++) pacer.note(Buffer.allocUnsafeSlow(64 * 1024).length);
    pacer.settle();
    await new Promise((resolve) => setTimeout(resolve, 50)); // V8 frees array buffers on a background sweep
    // 16 MiB of dead chunks, under the period: without settle() they would all still be held.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });
});

