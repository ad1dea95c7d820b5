// Turns verdicts into a digest's state, and carries out what a state change demands:
// infected bytes leave the servable store (quarantined or deleted, by config) and the
// change is recorded in the audit log. Called after every verdict, so it is idempotent.
import type { Logger } from 'pino';
import type { Digest } from '../domain/digest.js';
import type { BlobStore } from '../ports/blob-store.js';
import { newEvent, type DomainEvent } from '../domain/events.js';
import { noEvents, type Events } from '../ports/event-sink.js';
import type { ContentKind, QuarantineStore, StateRecord, VerdictRecord } from '../ports/quarantine-store.js';
import type { Decisions } from './decisions.js';
import type { ScannerSet } from './scanner-set.js';

export interface DeciderDeps {
  store: QuarantineStore;
  blobs: BlobStore;
  scanners: ScannerSet;
  decisions: Decisions;
  onInfected: 'quarantine' | 'delete';
  logger: Logger;
  /** artifact.released, artifact.quarantined and malware.found, one per repository holding the digest. */
  events?: Events;
}

export class Decider {
  constructor(private readonly deps: DeciderDeps) {}

  /**
   * Recomputes the digest's state from the newest verdict of each scanner it requires: those
   * of the repositories holding it or, while none does (a manifest during its PUT), of the
   * repository it was admitted to.
   */
  async decide(digest: Digest, kind: ContentKind, admittedTo?: string): Promise<StateRecord | undefined> {
    const { store, scanners } = this.deps;
    // Independent reads: one round trip's wait instead of three, after every scan.
    const [current, repositories, newest] = await Promise.all([
      store.getState(digest),
      store.repositoriesHolding(digest),
      store.latestVerdicts(digest),
    ]);
    const holders = repositories.length === 0 && admittedTo !== undefined ? [admittedTo] : repositories;
    const required = scanners.requiredForAll(holders);
    const latest = new Map(newest.map((v) => [v.scanner, v]));
    const verdicts = required.map((name) => latest.get(name));

    const infected = verdicts.filter((v): v is VerdictRecord => v?.verdict === 'infected' && this.counts(v, current));
    if (infected.length > 0) return this.reject(digest, kind, current, infected, holders);
    if (verdicts.every((v) => v?.verdict === 'clean') && current?.state !== 'clean' && current?.state !== 'infected') {
      const released = await this.setState(digest, kind, { state: 'clean', reason: null, decidedBy: required.join(',') });
      this.emitPerHolder(holders, (repository) =>
        newEvent('artifact.released', { repository, digest, actor: `scanner:${required.join(',')}` }, { contentKind: kind, decidedBy: released.decidedBy ?? '' }),
      );
      return released;
    }
    return current;
  }

  /** A scan job gave up: the digest is `failed` unless a verdict decided it meanwhile. */
  async fail(digest: Digest, kind: ContentKind, scanner: string, message: string): Promise<void> {
    const current = await this.deps.store.getState(digest);
    if (current && current.state !== 'pending') return;
    await this.setState(digest, kind, { state: 'failed', reason: message, decidedBy: scanner });
  }

  /** An admin's release stands against every verdict made before it. */
  private counts(verdict: VerdictRecord, current: StateRecord | undefined): boolean {
    const released = current?.state === 'clean' && current.decidedBy?.startsWith('admin:');
    return !released || verdict.scannedAt > current.updatedAt;
  }

  private async reject(digest: Digest, kind: ContentKind, current: StateRecord | undefined, infected: VerdictRecord[], holders: readonly string[]) {
    if (current?.state === 'infected') return current;
    const signatures = infected.flatMap((v) => v.findings.map((f) => f.signature));
    const scannerNames = infected.map((v) => v.scanner).join(',');
    // Bytes leave the servable store before the state says infected, so whoever sees the
    // state (a PUT waiting for it) never finds the bytes still in place. A crash in between
    // leaves them out of reach, and the next decision records the state.
    const moved = this.deps.onInfected === 'delete' ? await this.deps.blobs.delete(digest) : await this.deps.blobs.quarantine(digest);
    const record = await this.setState(digest, kind, { state: 'infected', reason: signatures.join(', '), decidedBy: scannerNames });
    await this.deps.store.appendAudit({
      digest,
      action: this.deps.onInfected === 'delete' ? 'delete' : 'quarantine',
      actor: `scanner:${scannerNames}`,
      reason: signatures.join(', '),
      at: new Date(),
    });
    this.deps.logger.warn({ digest, signatures, scanners: scannerNames, previous: current?.state, moved }, 'malware found: content rejected');
    const action = this.deps.onInfected;
    const actor = `scanner:${scannerNames}`;
    this.emitPerHolder(holders, (repository) =>
      newEvent('malware.found', { repository, digest, actor }, { contentKind: kind, signatures, scanners: infected.map((v) => v.scanner), action }),
    );
    this.emitPerHolder(holders, (repository) =>
      newEvent('artifact.quarantined', { repository, digest, actor }, { contentKind: kind, reason: signatures.join(', '), decidedBy: scannerNames, action, previous: current?.state ?? null }),
    );
    return record;
  }

  /** One event per repository holding the digest (one with no repository when none does). */
  private emitPerHolder(holders: readonly string[], build: (repository: string | null) => DomainEvent): void {
    const events = this.deps.events ?? noEvents;
    for (const repository of holders.length > 0 ? holders : [null]) events.emit(build(repository));
  }

  private async setState(digest: Digest, kind: ContentKind, update: { state: StateRecord['state']; reason: string | null; decidedBy: string | null }) {
    await this.deps.store.setState(digest, kind, update);
    const record = (await this.deps.store.getState(digest))!;
    this.deps.decisions.announce(record);
    this.deps.logger.info({ digest, state: record.state, decidedBy: record.decidedBy }, 'scan state decided');
    return record;
  }
}
