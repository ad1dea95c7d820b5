// `scangate sync NAME` for a file remote: every file its manifest lists is downloaded, verified
// against the manifest's sha256, scanned in this process (as it arrives, and by the scan
// workers), and given its entry only once clean. One line per file on stdout, and a summary.
import type { Logger } from 'pino';
import type { Services } from '../compose.js';
import type { FileRemoteConfig } from '../config/remote-schema.js';
import { ArrivalScans } from '../quarantine/arrival-scans.js';
import type { ScanGate } from '../quarantine/runtime.js';
import { createFileRemotes } from '../remotes/files/create.js';
import type { SyncedFile } from '../remotes/files/file-sync.js';
import type { SyncProgress } from '../remotes/sync.js';

export interface SyncReport {
  /** What to print on stdout. */
  text: string;
  outcomes: string[];
}

export interface FileSyncContext {
  services: Services;
  gate: ScanGate;
  logger: Logger;
  /** scanning.concurrency: downloads scanned as they arrive at once. */
  concurrency: number;
}

export async function syncFileRemote(remote: FileRemoteConfig, context: FileSyncContext, onProgress: (p: SyncProgress) => void): Promise<SyncReport> {
  const { services, gate, logger } = context;
  const arrivalScans = gate.enabled ? new ArrivalScans({ scanners: gate.scanners, store: services.quarantine, logger, limit: context.concurrency }) : undefined;
  const made = (await createFileRemotes({ remotes: [remote], services, gatekeeper: gate.gatekeeper, logger, ...(arrivalScans ? { arrivalScans } : {}) }))!;
  try {
    const results = await made.sync.sync(remote.name, onProgress);
    return { text: describeFileResults(remote.name, results), outcomes: results.map((r) => r.outcome) };
  } finally {
    await made.close();
  }
}

export function describeFileResults(remote: string, results: readonly SyncedFile[]): string {
  const lines = results.map((r) => `${remote}/-/${r.path} ${r.outcome}${r.digest ? ` ${r.digest}` : ''}${r.message ? `: ${r.message}` : ''}`);
  const count = (outcome: SyncedFile['outcome']) => results.filter((r) => r.outcome === outcome).length;
  lines.push(`sync: ${count('synced')} synced, ${count('current')} already here, ${count('refused')} refused, ${count('removed')} removed, ${count('error')} errors`);
  return `${lines.join('\n')}\n`;
}
