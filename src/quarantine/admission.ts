// Admission: the moment bytes are committed (or linked into another repository) they are
// `pending` and a scan job per required scanner is queued, so layers are scanned while the
// rest of an image is still uploading. Bytes that were scanned while they arrived from a
// remote (`scannedOnArrival`) are decided here and then from the verdicts that scan left,
// with no job, when every required scanner has one from its current engine: a first pull
// through a remote then waits for the longer of fetch and scan, not also for a job's
// pick-up. Pushes do not ask (their bytes were not scanned yet), so they pay no lookup.
import type { Digest } from '../domain/digest.js';
import type { Decider } from './decider.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { ContentKind, QuarantineStore } from '../ports/quarantine-store.js';
import { scanJobKey, scanJobKind, type ScanJobPayload } from './scan-job.js';
import type { ScannerSet } from './scanner-set.js';

export interface AdmissionDeps {
  store: QuarantineStore;
  queue: JobQueue;
  scanners: ScannerSet;
  maxAttempts: number;
  /** Decides from cached verdicts at admission; absent: always through the scan jobs. */
  decider?: Pick<Decider, 'decide'>;
}

export interface AdmitOptions {
  mediaType?: string;
  filename?: string;
  /** The bytes were scanned as they arrived (arrival-scans.ts): look for their verdicts first. */
  scannedOnArrival?: boolean;
}

export class Admission {
  constructor(private readonly deps: AdmissionDeps) {}

  /**
   * Records the digest as pending (unless already decided) and queues the scans its
   * repository requires. Decided content is not scanned again here: the verdict cache and
   * the rescan scheduler keep it current.
   */
  async admit(repository: string, digest: Digest, kind: ContentKind, options: AdmitOptions = {}): Promise<void> {
    const state = await this.deps.store.admit(digest, kind);
    if (state.state !== 'pending') return;
    const { scannedOnArrival, ...scanOptions } = options;
    if (scannedOnArrival && (await this.decidedFromCache(repository, digest, kind))) return;
    for (const scanner of this.deps.scanners.requiredFor(repository)) {
      await this.enqueue({ digest, kind, scanner, repository, ...scanOptions });
    }
  }

  /**
   * True when the cached verdicts of every required scanner's current engine decided the
   * digest (clean or infected). A scanner that does not answer, or any missing verdict,
   * leaves it to the scan jobs, which decide exactly as here.
   */
  private async decidedFromCache(repository: string, digest: Digest, kind: ContentKind): Promise<boolean> {
    const { decider, scanners, store } = this.deps;
    const required = scanners.requiredFor(repository);
    if (!decider || required.length === 0) return false;
    const cached = await Promise.all(
      required.map(async (name) => {
        const engine = await scanners.get(name)?.engine().catch(() => undefined);
        return engine !== undefined && (await store.findVerdict(digest, name, engine.key)) !== undefined;
      }),
    );
    if (!cached.every(Boolean)) return false;
    const decided = await decider.decide(digest, kind, repository);
    return decided !== undefined && decided.state !== 'pending';
  }

  /** Queues one scan now (admin rescan, scheduler); deduplicated against an unfinished one. */
  async enqueue(payload: ScanJobPayload): Promise<void> {
    await this.deps.queue.enqueue({
      kind: scanJobKind,
      payload: { ...payload },
      dedupeKey: scanJobKey(payload),
      maxAttempts: this.deps.maxAttempts,
    });
  }
}
