// Files of a streamed file remote: fetched for a read and not kept after it. The fetch is the
// on_demand one without the entry (one per path at a time, verified, admitted and waited for);
// the read holds the digest, and while it does the remote's repository counts among those
// holding it (an upload claim, so its scanners apply). When the last reader of a digest is
// done its claims go and, once it is decided and nothing else holds it, its bytes too. The
// verdict stays, by digest: the next read downloads again, and is served without a second scan
// only once its bytes proved to hash to that digest (the commit) before anyone reads them.
// Bytes still pending a scan are kept; a later read of them drops them once decided.
import type { Digest } from '../../domain/digest.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { FileLease } from '../../registry/file-remote-source.js';
import { SingleFlight } from '../single-flight.js';
import { refuseIfRefused, type Arrival } from './file-fetcher.js';
import type { FileRemote } from './file-remote-map.js';
import type { ManifestEntry } from './pulp-manifest.js';
import type { FileRemoteParts } from './parts.js';

export interface StreamedFilesDeps extends FileRemoteParts {
  blobs: BlobStore;
  /** Also who holds a digest: bytes something else holds are not dropped. */
  states: Pick<QuarantineStore, 'getState' | 'repositoriesHolding'>;
}

export class StreamedFiles {
  private readonly flights = new SingleFlight<Arrival>();
  private readonly readers = new Map<Digest, number>();
  /** The upload claims that make the remotes' repositories hold a digest while it is read. */
  private readonly claims = new Map<Digest, string[]>();
  /** Digests whose last reader is gone, to drop once no fetch runs. */
  private readonly toDrop = new Set<Digest>();

  constructor(private readonly deps: StreamedFilesDeps) {
    deps.guard.onIdle(() => this.dropWhatMay());
  }

  async acquire(remote: FileRemote, path: string, expected: ManifestEntry | undefined): Promise<FileLease> {
    const repository = remote.config.name;
    if (expected) await refuseIfRefused(this.deps.states, expected.digest, path);
    const arrival = await this.flights.run(`${repository}\0${path}`, () => this.deps.guard.fetching(() => this.bring(remote, path, expected)));
    const { digest, size } = arrival.info;
    this.enter(digest);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      this.leave(digest);
    };
    try {
      await this.deps.gatekeeper.holdUntilDecided([{ digest, what: `file ${path}` }]);
    } catch (err) {
      await release();
      throw err;
    }
    return { file: { repository, path, digest, size, mediaType: arrival.mediaType, createdAt: new Date() }, release };
  }

  /** Readers at the moment (for tests). */
  readerCount(digest: Digest): number {
    return this.readers.get(digest) ?? 0;
  }

  private async bring(remote: FileRemote, path: string, expected: ManifestEntry | undefined): Promise<Arrival> {
    const repository = remote.config.name;
    const arrival = (await this.deps.fetcher.download({ remote, repository, path, ...(expected ? { expected } : {}) })) as Arrival;
    const { digest } = arrival.info;
    const claim = await this.deps.files.beginUpload(repository, digest);
    this.claims.set(digest, [...(this.claims.get(digest) ?? []), claim]);
    void this.deps.admissions.admitAfterScans(repository, path, arrival);
    return arrival;
  }

  private enter(digest: Digest): void {
    this.readers.set(digest, this.readerCount(digest) + 1);
    this.toDrop.delete(digest);
  }

  private leave(digest: Digest): void {
    const left = this.readerCount(digest) - 1;
    if (left > 0) {
      this.readers.set(digest, left);
      return;
    }
    this.readers.delete(digest);
    this.toDrop.add(digest);
    this.dropWhatMay();
  }

  /** Drops every digest nobody reads, unless a fetch runs (it may count on them): then when the last is over. */
  private dropWhatMay(): void {
    if (!this.deps.guard.idle) return;
    for (const digest of this.toDrop) {
      this.toDrop.delete(digest);
      void this.deps.guard
        .drop(digest, () => this.dropBytes(digest))
        .catch((err: unknown) => this.deps.logger.warn({ err, digest }, 'could not drop the bytes of a streamed file'));
    }
  }

  private async dropBytes(digest: Digest): Promise<void> {
    const claims = this.claims.get(digest) ?? [];
    this.claims.delete(digest);
    // The scan goes on without the claims: a scan job decides by the repository it was admitted to.
    for (const claim of claims) await this.deps.files.endUpload(claim);
    await this.deps.sync();
    const state = await this.deps.states.getState(digest);
    // The scan still needs the bytes; a later read drops them once decided.
    if (!state || state.state === 'pending') return;
    if ((await this.deps.states.repositoriesHolding(digest)).length > 0) return; // an entry, a layer or an upload keeps them
    await this.deps.blobs.delete(digest);
  }
}
