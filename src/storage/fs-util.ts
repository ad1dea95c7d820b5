// Small filesystem helpers for the filesystem blob store: "not found" as a value rather
// than an exception, and fsync of files and directories.
import { open, readdir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

export async function statIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function readdirIfExists(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * Flushes a file's data, or a directory's entries, to stable storage. POSIX makes a new
 * or renamed directory entry durable only once its directory has been fsynced.
 */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
