// The hook through which pull-through mirrors reach the registry's read path: the blob and
// manifest services consult a RemoteSource on a miss, and never learn what an upstream is.
// The implementation lives in src/remotes/ (remote-mirror.ts); without remotes there is none.
import type { Digest } from '../domain/digest.js';
import type { BlobInfo } from '../ports/blob-store.js';

export interface RemoteSource {
  /**
   * True when the repository is a pull-through mirror: its manifests' references arrive
   * lazily. Async: remotes made through the admin API may have to be read first.
   */
  mirrors(repository: string): Promise<boolean>;
  /**
   * Brings the manifest a reference names here from upstream when it is missing, or (a tag)
   * when it was last checked longer ago than the remote's tag TTL. With the upstream down, a
   * cached manifest stays as it is. Does nothing for a repository that is not a mirror.
   */
  refreshManifest(repository: string, reference: string): Promise<void>;
  /**
   * Makes the blob readable here for one GET. A blob the repository does not hold yet (or,
   * for a streamed remote, any blob) is fetched upstream (once, however many ask), verified,
   * stored, linked, admitted to the gate and waited for (up to the configured time); throws
   * DENIED when it is infected. Resolves to a lease to release once the read is over (a
   * streamed remote drops the bytes then), or undefined when the repository is no mirror.
   */
  acquireBlob(repository: string, digest: Digest, linked: boolean): Promise<BlobLease | undefined>;
  /** A blob's size upstream (for HEAD; nothing fetched), or undefined when the repository is no mirror. */
  statBlob(repository: string, digest: Digest): Promise<BlobInfo | undefined>;
}

/** Held while a blob fetched for a read is being sent; `release` is idempotent. */
export interface BlobLease {
  release(): Promise<void>;
}
