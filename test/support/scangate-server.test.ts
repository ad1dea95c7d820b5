// The harness itself: a scangate that cannot start fails fast with its own output, and
// stop() ends a healthy one with exit 0 and removes its temp data dir.
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { startScangate } from './scangate-server.js';

describe('startScangate', () => {
  test('a server that exits before it is ready is reported with its output', async () => {
    const started = Date.now();
    const failure = startScangate({ args: ['--config', '/nonexistent/scangate.yml'] });
    await expect(failure).rejects.toThrow(/scangate exited \(\d+\) before it was ready:\n.*nonexistent/s);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('stop() ends the process with exit 0 and removes the data dir', async () => {
    const registry = await startScangate();
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(existsSync(registry.dataDir)).toBe(true);
    expect(await registry.stop()).toEqual({ code: 0, signal: null });
    expect(existsSync(registry.dataDir)).toBe(false);
  });
});
