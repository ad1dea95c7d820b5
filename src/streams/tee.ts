// One readable into several, with shared back-pressure: the source moves at the pace of the
// slowest branch still reading, and nothing piles up in memory (WHATWG ReadableStream.tee
// buffers without bound for the slower branch, so it is not used). A branch that is
// destroyed (its consumer gave up, e.g. a scanner that stopped early) drops out; the others
// go on. An error of the source destroys every branch with it.
import { PassThrough, type Readable } from 'node:stream';

export function teeStream(source: Readable, count: number, highWaterMark = 1024 * 1024): PassThrough[] {
  const branches = Array.from({ length: count }, () => new PassThrough({ highWaterMark }));
  const live = new Set(branches);
  const waiting = new Set<PassThrough>();

  const resumeIfFree = () => {
    if (waiting.size === 0 && source.isPaused()) source.resume();
  };
  for (const branch of branches) {
    branch.on('drain', () => {
      waiting.delete(branch);
      resumeIfFree();
    });
    branch.on('close', () => {
      live.delete(branch);
      waiting.delete(branch);
      resumeIfFree();
    });
  }
  source.on('data', (chunk: Buffer) => {
    for (const branch of live) {
      if (branch.destroyed) continue;
      if (!branch.write(chunk)) waiting.add(branch);
    }
    if (waiting.size > 0) source.pause();
  });
  source.once('end', () => {
    for (const branch of live) branch.end();
  });
  source.once('error', (err) => {
    for (const branch of live) branch.destroy(err);
  });
  // A source that closes without 'end' (aborted) must not leave branches open forever.
  source.once('close', () => {
    if (!source.readableEnded) for (const branch of live) branch.destroy(new Error('the source closed before its end'));
  });
  return branches;
}
