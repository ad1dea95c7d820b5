// Writes a clamd.conf for a clamd that scangate starts itself (the embedded default and
// the tests). The defaults fix clamd's dangerous ones: limits are raised for layer-sized
// streams, and `AlertExceedsMax yes` makes "too big to scan" a detection
// (`Heuristics.Limits.Exceeded.*`) instead of a silent `OK`.
import { writeFile } from 'node:fs/promises';

/** A size in bytes, or in clamd's own notation (`512M`, `1G`). */
export type ClamdSize = number | `${number}${'K' | 'M' | 'G'}`;

export interface ClamdConfigOptions {
  databaseDirectory: string;
  /** Unix socket path; at least one of localSocket and tcpPort must be set. */
  localSocket?: string;
  tcpPort?: number;
  /** Defaults to 127.0.0.1: clamd has no authentication, never listen wider by default. */
  tcpAddr?: string;
  logFile?: string;
  pidFile?: string;
  /** Where clamd spools INSTREAM data (up to streamMaxLength per scan); default /tmp. */
  temporaryDirectory?: string;
  /** The most bytes one INSTREAM may send; past it clamd answers "size limit exceeded". */
  streamMaxLength?: ClamdSize;
  /** The most bytes scanned in one stream, archives unpacked included. */
  maxScanSize?: ClamdSize;
  /** The largest single file (also inside an archive) that is scanned. */
  maxFileSize?: ClamdSize;
  /** Files per archive; image layers easily hold more than clamd's default 10,000. */
  maxFiles?: number;
  /** Milliseconds one scan may take (clamd's default is 2 minutes). */
  maxScanTimeMs?: number;
  maxThreads?: number;
  /** Anything else, written as `Key value` lines last (they win over the above). */
  extra?: Record<string, string | number>;
}

export const clamdLimitDefaults = {
  streamMaxLength: '1G',
  maxScanSize: '1G',
  maxFileSize: '1G',
  maxFiles: 1_000_000,
  maxScanTimeMs: 600_000,
  // A layer adds two levels (gzip, tar) before its files: at clamd's default of 17, an
  // archive nested inside a layer stops short of what it hides (Heuristics...MaxRecursion).
  maxRecursion: 20,
} as const;

export function renderClamdConfig(options: ClamdConfigOptions): string {
  if (!options.localSocket && options.tcpPort === undefined) {
    throw new Error('clamd config needs a localSocket or a tcpPort');
  }
  const entries: [string, string | number | undefined][] = [
    ['Foreground', 'yes'],
    ['DatabaseDirectory', options.databaseDirectory],
    ['LocalSocket', options.localSocket],
    ['TCPSocket', options.tcpPort],
    ['TCPAddr', options.tcpPort === undefined ? undefined : (options.tcpAddr ?? '127.0.0.1')],
    ['LogFile', options.logFile],
    ['LogTime', 'yes'],
    ['PidFile', options.pidFile],
    ['TemporaryDirectory', options.temporaryDirectory],
    ['StreamMaxLength', options.streamMaxLength ?? clamdLimitDefaults.streamMaxLength],
    ['MaxScanSize', options.maxScanSize ?? clamdLimitDefaults.maxScanSize],
    ['MaxFileSize', options.maxFileSize ?? clamdLimitDefaults.maxFileSize],
    ['MaxFiles', options.maxFiles ?? clamdLimitDefaults.maxFiles],
    ['MaxRecursion', clamdLimitDefaults.maxRecursion],
    ['MaxScanTime', options.maxScanTimeMs ?? clamdLimitDefaults.maxScanTimeMs],
    ['MaxThreads', options.maxThreads],
    ['ScanArchive', 'yes'],
    ['AlertExceedsMax', 'yes'],
    // Databases change only when scangate reloads them; no background re-reads.
    ['SelfCheck', 0],
  ];
  // A Map so that `extra` replaces a key instead of repeating it.
  const config = new Map(entries.filter((entry): entry is [string, string | number] => entry[1] !== undefined));
  for (const [key, value] of Object.entries(options.extra ?? {})) config.set(key, value);
  return [...config].map(([key, value]) => `${key} ${value}`).join('\n') + '\n';
}

export async function writeClamdConfig(path: string, options: ClamdConfigOptions): Promise<void> {
  await writeFile(path, renderClamdConfig(options), { mode: 0o600 });
}
