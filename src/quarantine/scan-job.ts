// The `scan` job: one scanner over one digest's bytes. Idempotent: the verdict cache
// (digest, scanner, engine key) means a job run twice after a crash scans once, and the
// same bytes are never scanned twice for the same signature database.
import type { Logger } from 'pino';
import { isDigest, type Digest } from '../domain/digest.js';
import type { BlobStore } from '../ports/blob-store.js';
import { newEvent, type DomainEvent, type EventData } from '../domain/events.js';
import { noEvents, type Events } from '../ports/event-sink.js';
import type { ClaimedJob, JsonValue } from '../ports/job-queue.js';
import type { ContentKind, QuarantineStore } from '../ports/quarantine-store.js';
import { isScannerError, verdictFields, type ScanResult, type Scanner } from '../ports/scanner.js';
import type { Decider } from './decider.js';
import type { ScannerSet } from './scanner-set.js';

export const scanJobKind = 'scan';

/**
 * While a scanner does not answer at all, its scan jobs wait without spending attempts:
 * content stays pending for as long as the outage lasts and is scanned within this long
 * (plus jitter) once the scanner is back. `failed` is kept for scans that error on the content.
 */
export const scannerDownRetryMs = 5_000;

function scannerUnavailable(scanner: string, cause: unknown): Error {
  const error = new Error(`${scanner} is unavailable: ${(cause as Error).message ?? String(cause)}`, { cause });
  return Object.assign(error, { postponeMs: scannerDownRetryMs + Math.floor(Math.random() * scannerDownRetryMs) });
}

export interface ScanJobPayload {
  digest: Digest;
  kind: ContentKind;
  scanner: string;
  mediaType?: string;
  filename?: string;
  /**
   * The repository it was admitted to. Content is decided by what the repositories holding
   * it require; a manifest is held by none until its PUT's hold is over, so until then this
   * one stands in (else every scanner would be required, and one its namespace does not
   * require would never be asked: pending for good).
   */
  repository?: string;
  /** Scan even when the verdict cache has this engine's verdict (an admin's rescan). */
  force?: boolean;
}

export function scanJobKey(payload: Pick<ScanJobPayload, 'digest' | 'scanner'>): string {
  return `scan:${payload.scanner}:${payload.digest}`;
}

/** Called after each scan with its outcome, for metrics. */
export type ScanObserver = (scanner: string, outcome: 'clean' | 'infected' | 'cached' | 'error', seconds: number) => void;

export interface ScanJobDeps {
  store: QuarantineStore;
  blobs: BlobStore;
  scanners: ScannerSet;
  decider: Decider;
  logger: Logger;
  observe?: ScanObserver;
  /** scan.started, scan.completed (a scan made, not a cached verdict) and scan.failed. */
  events?: Events;
}

function parsePayload(payload: JsonValue): ScanJobPayload {
  const p = payload as Partial<ScanJobPayload> | null;
  if (!p || typeof p.digest !== 'string' || !isDigest(p.digest) || typeof p.scanner !== 'string') {
    throw Object.assign(new Error(`malformed scan job payload: ${JSON.stringify(payload)}`), { retryable: false });
  }
  return { ...p, kind: p.kind === 'manifest' ? 'manifest' : 'blob' } as ScanJobPayload;
}

export function scanJobHandler(deps: ScanJobDeps) {
  return async (job: ClaimedJob, signal: AbortSignal): Promise<void> => {
    const payload = parsePayload(job.payload);
    const scanner = deps.scanners.get(payload.scanner);
    if (!scanner) {
      // Another process (a worker with other scanners) may run it; never drop a scan, or
      // its content would stay pending with nothing left to decide it.
      const error = new Error(`no scanner named ${payload.scanner} in this process (give every worker the same scanners)`);
      throw Object.assign(error, { postponeMs: 60_000 });
    }
    try {
      if (await scanOnce(deps, scanner, payload, signal)) await deps.decider.decide(payload.digest, payload.kind, payload.repository);
    } catch (err) {
      if ((err as { postponeMs?: unknown }).postponeMs !== undefined) throw err;
      const final = job.attempt >= job.maxAttempts || (isScannerError(err) && !err.retryable);
      if (final && !signal.aborted) {
        await deps.decider.fail(payload.digest, payload.kind, scanner.name, (err as Error).message);
        emitScan(deps, payload, 'scan.failed', { scanner: scanner.name, scan: 'malware', contentKind: payload.kind, error: (err as Error).message });
      }
      deps.observe?.(scanner.name, 'error', 0);
      throw err;
    }
  };
}

/**
 * Scans unless the verdict is cached. Resolves to whether a decision may follow: not for
 * rejected content left unscanned, whose state only an admin's release can change.
 */
async function scanOnce(deps: ScanJobDeps, scanner: Scanner, payload: ScanJobPayload, signal: AbortSignal): Promise<boolean> {
  const { digest } = payload;
  const state = await deps.store.getState(digest);
  // Rejected content is not scanned again unless an admin asks (its verdicts are then
  // refreshed for the record; only an admin's release makes it servable again).
  const quarantined = state?.state === 'infected';
  if (quarantined && !payload.force) return false;
  const engine = await scanner.engine().catch((err: unknown) => {
    throw scannerUnavailable(scanner.name, err);
  });
  if (!payload.force && (await deps.store.findVerdict(digest, scanner.name, engine.key))) {
    deps.observe?.(scanner.name, 'cached', 0);
    return true;
  }
  const info = quarantined ? { size: undefined } : await deps.blobs.stat(digest);
  if (!info) {
    deps.logger.warn({ digest, scanner: scanner.name }, 'scan job found no bytes (deleted meanwhile): nothing to scan');
    return true;
  }
  emitScan(deps, payload, 'scan.started', { scanner: scanner.name, scan: 'malware', contentKind: payload.kind });
  const result: ScanResult = await scanner.scan(
    {
      open: () => (quarantined ? deps.blobs.readQuarantined(digest, { signal }) : deps.blobs.read(digest, { signal })),
      ...(!quarantined && deps.blobs.storedPath ? { storedPath: deps.blobs.storedPath(digest) } : {}),
      digest,
      ...(info.size !== undefined ? { size: info.size } : {}),
      ...(payload.mediaType ? { mediaType: payload.mediaType } : {}),
      ...(payload.filename ? { filename: payload.filename } : {}),
    },
    signal,
  );
  await deps.store.recordVerdict({ digest, ...verdictFields(scanner.name, result) });
  deps.observe?.(scanner.name, result.verdict, result.durationMs / 1000);
  emitScan(deps, payload, 'scan.completed', {
    scanner: scanner.name,
    scan: 'malware',
    contentKind: payload.kind,
    verdict: result.verdict,
    engine: result.engine.key,
    durationMs: result.durationMs,
    report: { findings: result.findings.map((f) => ({ signature: f.signature })) },
  });
  return true;
}

/** A scan event about the job's digest, in the repository it was admitted to. */
function emitScan<T extends 'scan.started' | 'scan.completed' | 'scan.failed'>(deps: ScanJobDeps, payload: ScanJobPayload, type: T, data: EventData[T]): void {
  (deps.events ?? noEvents).emit(newEvent(type, { repository: payload.repository ?? null, digest: payload.digest, actor: `scanner:${(data as { scanner: string }).scanner}` }, data) as DomainEvent);
}
