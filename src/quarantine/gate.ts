// The one place that decides "servable". Every read path (blob GET/HEAD, manifests by tag
// or digest, referrers) asks the gate before a byte leaves; no route reads states itself.
import type { Digest } from '../domain/digest.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore, StateRecord } from '../ports/quarantine-store.js';
import { pendingError, refusedError } from './gate-errors.js';

export interface ContentGate {
  /** Throws (503 pending, 403 infected/failed) unless the blob may be served. */
  checkBlob(digest: Digest): Promise<void>;
  /** Throws unless the manifest and everything it references, recursively, may be served. */
  checkManifest(repository: string, digest: Digest, options?: ManifestCheckOptions): Promise<void>;
  /** The digests among these that may be served (for listings such as referrers). */
  servable(digests: readonly Digest[]): Promise<Set<Digest>>;
}

export interface ManifestCheckOptions {
  /**
   * A pull-through mirror's manifest: its references arrive lazily, each gated when it is
   * fetched, so a reference not yet here (or still pending) does not hold the manifest back.
   * A reference already found infected or failed still refuses it.
   */
  lazyReferences?: boolean;
}

/** `serve --no-scan`: a registry with no gate at all. */
export const openGate: ContentGate = {
  checkBlob: async () => {},
  checkManifest: async () => {},
  servable: async (digests) => new Set(digests),
};

/** Index depth is bounded in practice; the cap stops a malicious cycle from looping. */
const maxDepth = 8;

export class QuarantineGate implements ContentGate {
  constructor(
    private readonly store: QuarantineStore,
    private readonly metadata: MetadataStore,
  ) {}

  async checkBlob(digest: Digest): Promise<void> {
    this.verdictOf(digest, await this.store.getState(digest), 'blob');
  }

  async checkManifest(repository: string, digest: Digest, options: ManifestCheckOptions = {}): Promise<void> {
    let level: { digest: Digest; what: string }[] = [{ digest, what: 'manifest' }];
    const seen = new Set<Digest>();
    for (let depth = 0; level.length > 0 && depth < maxDepth; depth++) {
      const states = await this.store.getStates(level.map((item) => item.digest));
      // Refusals first: an infected layer says more than a pending config.
      const ordered = [...level].sort((a, b) => rank(states.get(b.digest)) - rank(states.get(a.digest)));
      for (const item of ordered) {
        const record = states.get(item.digest);
        if (options.lazyReferences && depth > 0 && (!record || record.state === 'pending')) continue;
        this.verdictOf(item.digest, record, item.what);
      }
      const next: { digest: Digest; what: string }[] = [];
      for (const item of level) {
        if (seen.has(item.digest) || item.what === 'blob') continue;
        seen.add(item.digest);
        for (const ref of await this.metadata.getManifestReferences(repository, item.digest)) {
          next.push({ digest: ref.digest, what: ref.kind === 'blob' ? 'blob' : 'manifest' });
        }
      }
      level = next;
    }
  }

  async servable(digests: readonly Digest[]): Promise<Set<Digest>> {
    const states = await this.store.getStates(digests);
    return new Set(digests.filter((d) => states.get(d)?.state === 'clean'));
  }

  private verdictOf(digest: Digest, record: StateRecord | undefined, what: string): void {
    // No state at all: content from before the gate, or a crash between commit and
    // admission. Never served unscanned: it waits like pending (the reconciler admits it).
    if (!record || record.state === 'pending') throw pendingError(digest, what);
    if (record.state !== 'clean') throw refusedError(record, what);
  }
}

function rank(record: StateRecord | undefined): number {
  if (!record || record.state === 'pending') return 1;
  return record.state === 'clean' ? 0 : 2;
}
