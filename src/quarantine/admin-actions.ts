// What an admin may do to quarantined content: look, rescan, release by hand. Every action
// is written to the audit log with who did it and why.
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import { newEvent } from '../domain/events.js';
import { noEvents, type Events } from '../ports/event-sink.js';
import type { AuditEntry, QuarantineStore, StateRecord, VerdictRecord } from '../ports/quarantine-store.js';
import type { Admission } from './admission.js';
import type { Decisions } from './decisions.js';
import type { ScannerSet } from './scanner-set.js';

export interface ContentReport {
  state: StateRecord;
  verdicts: VerdictRecord[];
  audit: AuditEntry[];
}

export class QuarantineAdmin {
  constructor(
    private readonly deps: {
      store: QuarantineStore;
      blobs: BlobStore;
      admission: Admission;
      scanners: ScannerSet;
      decisions: Decisions;
      /** artifact.released_by_hand, one per repository holding the digest. */
      events?: Events;
    },
  ) {}

  async report(digest: Digest): Promise<ContentReport> {
    const state = await this.requireState(digest);
    const [verdicts, audit] = await Promise.all([this.deps.store.latestVerdicts(digest), this.deps.store.listAudit(digest, 50)]);
    return { state, verdicts, audit };
  }

  /**
   * Queues a fresh scan by every scanner the content requires, bypassing the verdict cache.
   * Failed content goes back to pending; infected and clean content keep their state (and
   * stay unservable / servable) until the new verdicts arrive.
   */
  async rescan(digest: Digest, actor: string, reason: string): Promise<StateRecord> {
    const state = await this.requireState(digest);
    if (state.state === 'failed') await this.deps.store.setState(digest, state.kind, { state: 'pending', reason: null, decidedBy: null });
    const repositories = await this.deps.store.repositoriesHolding(digest);
    for (const scanner of this.deps.scanners.requiredForAll(repositories)) {
      await this.deps.admission.enqueue({ digest, kind: state.kind, scanner, force: true });
    }
    await this.deps.store.appendAudit({ digest, action: 'rescan', actor, reason, at: new Date() });
    return (await this.deps.store.getState(digest))!;
  }

  /** Releases content by hand (a false positive): servable again, with the reason kept. */
  async release(digest: Digest, actor: string, reason: string): Promise<StateRecord> {
    const state = await this.requireState(digest);
    if (state.state === 'clean') return state;
    if (state.state === 'infected') await this.deps.blobs.restore(digest);
    await this.deps.store.setState(digest, state.kind, { state: 'clean', reason, decidedBy: `admin:${actor}` });
    await this.deps.store.appendAudit({ digest, action: 'release', actor, reason, at: new Date() });
    const released = (await this.deps.store.getState(digest))!;
    this.deps.decisions.announce(released);
    const repositories = await this.deps.store.repositoriesHolding(digest);
    for (const repository of repositories.length > 0 ? repositories : [null]) {
      (this.deps.events ?? noEvents).emit(newEvent('artifact.released_by_hand', { repository, digest, actor }, { contentKind: state.kind, reason, previous: state.state }));
    }
    return released;
  }

  private async requireState(digest: Digest): Promise<StateRecord> {
    const state = await this.deps.store.getState(digest);
    if (!state) throw new RegistryError('BLOB_UNKNOWN', `no scan state for ${digest}`, { detail: { digest } });
    return state;
  }
}
