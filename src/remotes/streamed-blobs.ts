// Blobs of a streamed mirror: fetched for a read and not kept after it. Each read holds a
// lease on the digest; the fetch itself is the on_demand one (single flight, verified
// commit, gate), and when the last reader of a digest is done its links in streamed
// repositories go and, unless another repository keeps it, its bytes too. Its verdict
// stays (by digest), so the next fetch re-downloads, the commit verifies the bytes hash to
// that digest before anyone may read them, and the verdict is reused without a new scan.
// Bytes still pending a scan are kept until a later read finds them decided.
import type { Logger } from 'pino';
import type { Digest } from '../domain/digest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { BlobLease } from '../registry/remote-source.js';
import type { RemoteBlobFetcher } from './blob-fetcher.js';
import type { RemoteRoute } from './remote-map.js';

export interface StreamedBlobsDeps {
  fetcher: RemoteBlobFetcher;
  blobs: BlobStore;
  metadata: MetadataStore;
  states: Pick<QuarantineStore, 'getState' | 'repositoriesHolding'>;
  logger: Logger;
  /** How long a client's request waits for a download before a 503 with Retry-After. */
  waitMs?: number;
}

export class StreamedBlobs {
  private readonly readers = new Map<Digest, { count: number; repositories: Set<string> }>();
  /** Cleanups under way: a new reader waits for one, so it never reads bytes being deleted. */
  private readonly cleaning = new Map<Digest, Promise<void>>();

  constructor(private readonly deps: StreamedBlobsDeps) {}

  async acquire(repository: string, route: RemoteRoute, digest: Digest): Promise<BlobLease> {
    await this.cleaning.get(digest);
    const entry = this.readers.get(digest) ?? { count: 0, repositories: new Set<string>() };
    entry.count++;
    entry.repositories.add(repository);
    this.readers.set(digest, entry);
    let released = false;
    const lease = {
      release: async () => {
        if (released) return;
        released = true;
        await this.release(digest);
      },
    };
    try {
      await this.deps.fetcher.fetch(repository, route, digest, this.deps.waitMs);
    } catch (err) {
      await lease.release();
      throw err;
    }
    return lease;
  }

  /** Readers at the moment (for tests). */
  readerCount(digest: Digest): number {
    return this.readers.get(digest)?.count ?? 0;
  }

  private async release(digest: Digest): Promise<void> {
    const entry = this.readers.get(digest);
    if (!entry || --entry.count > 0) return;
    this.readers.delete(digest);
    const cleanup = this.dropBytes(digest, entry.repositories)
      .catch((err: unknown) => this.deps.logger.warn({ err, digest }, 'could not drop the bytes of a streamed blob'))
      .finally(() => this.cleaning.delete(digest));
    this.cleaning.set(digest, cleanup);
    await cleanup;
  }

  private async dropBytes(digest: Digest, repositories: Set<string>): Promise<void> {
    const state = await this.deps.states.getState(digest);
    // The scan still needs the bytes; a later read drops them once decided.
    if (!state || state.state === 'pending') return;
    for (const repository of repositories) await this.deps.metadata.unlinkBlob(repository, digest);
    await this.deps.metadata.sync();
    // Another repository's blob link, a manifest or a file entry keeps them.
    if ((await this.deps.states.repositoriesHolding(digest)).length > 0) return;
    await this.deps.blobs.delete(digest);
  }
}
