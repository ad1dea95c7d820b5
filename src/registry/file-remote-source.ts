// The hook through which file remotes reach the file store: FileService asks a FileRemoteSource
// about a repository that is a file remote's namespace (`/files/NAME/-/<path>`), and never
// learns what an upstream is. The implementation lives in src/remotes/files/ (file-mirror.ts);
// without file remotes there is none.
import type { Digest } from '../domain/digest.js';
import type { FilePage, FileRecord } from '../ports/file-store.js';

export interface FileRemoteSource {
  /** True when the repository lies in a file remote's namespace: read-only, its files come from upstream. */
  mirrors(repository: string): Promise<boolean>;
  /**
   * Makes the file at `path` readable here for one read: fetched upstream when missing or
   * stale (once, however many ask), verified, stored, admitted to the gate and waited for (up
   * to the configured time). Throws FILE_UNKNOWN when the source (or its manifest) has no
   * such file, DENIED when it was found infected, UNAVAILABLE when the upstream is down and
   * nothing is cached. Release the lease once the read is over (a streamed remote's bytes go then).
   */
  acquire(repository: string, path: string): Promise<FileLease>;
  /**
   * A page of the remote's files, as its manifest lists them (with the entry stored for each,
   * when fetched), or undefined when the stored entries are the listing (no manifest, or
   * `immediate`: what was synced).
   */
  list(repository: string, page: FilePage): Promise<UpstreamFile[] | undefined>;
}

/** Held while a file fetched for a read is being sent; `release` is idempotent. */
export interface FileLease {
  /** The file to read (for a streamed remote, one that is not kept). */
  file: FileRecord;
  release(): Promise<void>;
}

/** A file the upstream's manifest lists. */
export interface UpstreamFile {
  path: string;
  digest: Digest;
  size: number;
  /** The entry here, when fetched and kept with this digest. */
  stored?: FileRecord;
}
