// A scratch directory per test file, removed afterwards.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  join(...parts: string[]): string;
  remove(): Promise<void>;
}

/** Lowercase and short on purpose: podman names an image pulled from `oci:PATH` after PATH
 * (no capitals allowed, and mkdtemp's suffixes have them), and refuses a runroot longer
 * than 50 characters. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = join(tmpdir(), `${prefix}-${randomBytes(4).toString('hex')}`);
  await mkdir(path, { mode: 0o700 });
  return {
    path,
    join: (...parts) => join(path, ...parts),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
