// A `command` scanner for crash tests: a tiny shell script that takes a while, finds every
// file clean, and logs the digest and the moment it finished, so a test can tell what was
// scanned, and when, independently of scangate's own records.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SlowScanner {
  /** The argv template for `scanning.scanners[].command`. */
  command: string[];
  /** Digest -> the Date.now() of each scan of it that ran to the end. */
  finished(): Promise<Map<string, number[]>>;
}

export async function slowScanner(dir: string, delayMs: number): Promise<SlowScanner> {
  const script = join(dir, 'slow-scan.sh');
  const log = join(dir, 'slow-scan.log');
  await writeFile(log, '');
  const seconds = (delayMs / 1000).toFixed(3);
  // $1 is the digest, $2 the file; the log line is written after the wait, before exit 0.
  const body = ['#!/bin/sh', `sleep ${seconds}`, `test -f "$2" || exit 2`, `echo "$1 $(date +%s%3N)" >> '${log}'`, 'exit 0', ''];
  await writeFile(script, body.join('\n'));
  await chmod(script, 0o755);
  return {
    command: [script, '{digest}', '{path}'],
    async finished() {
      const ends = new Map<string, number[]>();
      for (const line of (await readFile(log, 'utf8')).split('\n')) {
        const [digest, at] = line.split(' ');
        if (!digest || !at) continue;
        ends.set(digest, [...(ends.get(digest) ?? []), Number(at)]);
      }
      return ends;
    },
  };
}
