// Admission: the moment bytes are committed (or linked into another repository) they are
// `pending` and a scan job per required scanner is queued, so layers are scanned while the
// rest of an image is still uploading.
import type { Digest } from '../domain/digest.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { ContentKind, QuarantineStore } from '../ports/quarantine-store.js';
import { scanJobKey, scanJobKind, type ScanJobPayload } from './scan-job.js';
import type { ScannerSet } from './scanner-set.js';

export interface AdmissionDeps {
  store: QuarantineStore;
  queue: JobQueue;
  scanners: ScannerSet;
  maxAttempts: number;
}

export interface AdmitOptions {
  mediaType?: string;
  filename?: string;
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
    for (const scanner of this.deps.scanners.requiredFor(repository)) {
      await this.enqueue({ digest, kind, scanner, repository, ...options });
    }
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
