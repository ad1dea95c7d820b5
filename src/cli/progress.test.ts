import { describe, expect, it } from 'vitest';
import { formatBytes, progressBar, renderProgress } from './progress.js';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream, written };
}

describe('progress bar', () => {
  it('renders a bar, a percentage and a detail', () => {
    expect(renderProgress('fsck', 0, 200, '0/2 blobs')).toBe(`fsck [${'-'.repeat(30)}]   0% 0/2 blobs`);
    expect(renderProgress('fsck', 100, 200)).toBe(`fsck [${'#'.repeat(15)}${'-'.repeat(15)}]  50%`);
    expect(renderProgress('fsck', 0, 0)).toBe(`fsck [${'#'.repeat(30)}] 100%`);
  });

  it('draws in place on a TTY, throttled, always drawing the end, and clears the line', () => {
    const { stream, written } = fakeStream(true);
    const bar = progressBar(stream, 'x');
    bar.update(1, 10);
    bar.update(2, 10); // within 100 ms of the last: skipped
    bar.update(10, 10); // the end is always drawn
    bar.finish();
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^\r\x1b\[2Kx \[/);
    expect(written[1]).toContain('100%');
    expect(written[2]).toBe('\r\x1b[2K');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { stream, written } = fakeStream(false);
    const bar = progressBar(stream, 'x');
    bar.update(10, 10);
    bar.finish();
    expect(written).toEqual([]);
  });

  it('formats byte counts', () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['0 B', '1023 B', '1.5 KiB', '5.0 GiB']);
  });
});
