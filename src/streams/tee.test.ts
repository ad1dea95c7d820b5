import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { teeStream } from './tee.js';

function source(chunks: number, chunkBytes = 64 * 1024): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i === chunks) return this.push(null);
      const chunk = Buffer.alloc(chunkBytes, i++ % 251);
      this.push(chunk);
    },
  });
}

async function digestOf(stream: Readable, delayMs = 0): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    if (delayMs) await sleep(delayMs);
  }
  return hash.digest('hex');
}

describe('teeStream', () => {
  it('gives every branch every byte, in order, at the pace of the slowest', async () => {
    const [a, b, c] = teeStream(source(64), 3, 64 * 1024);
    const [x, y, z] = await Promise.all([digestOf(a!), digestOf(b!, 1), digestOf(c!)]);
    expect(x).toBe(y);
    expect(y).toBe(z);
  });

  it('holds memory to the branches\' buffers when one branch is slow', async () => {
    const src = source(256);
    const [fast, slow] = teeStream(src, 2, 64 * 1024);
    let maxBuffered = 0;
    const watch = setInterval(() => (maxBuffered = Math.max(maxBuffered, fast!.readableLength + slow!.readableLength, src.readableLength)), 1);
    await Promise.all([digestOf(fast!), digestOf(slow!, 2)]);
    clearInterval(watch);
    expect(maxBuffered).toBeLessThan(1024 * 1024);
  });

  it('lets the others go on when one branch is destroyed', async () => {
    const [keep, drop] = teeStream(source(128), 2, 64 * 1024);
    setTimeout(() => drop!.destroy(), 5);
    drop!.on('error', () => {});
    const expected = await digestOf(source(128));
    expect(await digestOf(keep!)).toBe(expected);
  });

  it('fails every branch when the source fails', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('upstream broke')); } });
    const [a, b] = teeStream(failing, 2);
    const results = await Promise.allSettled([digestOf(a!), digestOf(b!)]);
    expect(results.map((r) => r.status === 'rejected' && String(r.reason))).toEqual(['Error: upstream broke', 'Error: upstream broke']);
  });
});
