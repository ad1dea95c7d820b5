// FileStore: the entries of the file store (`/files/<repository>/-/<path>`), one per path,
// each naming the content-addressed blob that holds its bytes. Bytes live in the BlobStore;
// an entry is only what can be listed. Adapter: SQL on the metadata database
// (src/metadata/sql-file-store.ts); every adapter runs src/metadata/file-store.suite.ts.
//
// The store keeps what it is given: paths are validated by the API (src/domain/file-paths.ts).
import type { Digest } from '../domain/digest.js';

export interface FileRecord {
  repository: string;
  /** Relative and slash-separated; the last segment is the original file name. */
  path: string;
  digest: Digest;
  size: number;
  /** The Content-Type it was uploaded with. */
  mediaType: string;
  /** When this content was put at the path (an overwrite sets it anew). */
  createdAt: Date;
}

export type NewFile = Omit<FileRecord, 'createdAt'>;

/** Up to `n` entries, sorted by path (UTF-8 byte order), after `last`, under `prefix`. */
export interface FilePage {
  n: number;
  last?: string;
  /** A plain string prefix of the path (`dir/` for a directory), not a pattern. */
  prefix?: string;
}

export interface FileStore {
  get(repository: string, path: string): Promise<FileRecord | undefined>;
  /**
   * Creates the entry, or replaces the one at its path, in one statement: a reader sees the
   * old entry or the new one, never none. The old digest's bytes stay (other entries and
   * other repositories may share them); garbage collection decides when they go.
   */
  put(file: NewFile): Promise<FileRecord>;
  /** Removes the entry; false when there was none. */
  delete(repository: string, path: string): Promise<boolean>;
  list(repository: string, page: FilePage): Promise<FileRecord[]>;
  /** Every entry of every repository, by (repository, path), a page at a time (fsck). */
  allFiles(): AsyncIterable<FileRecord>;
  /** Which of these digests some entry, in any repository, holds (garbage collection keeps those). */
  digestsInUse(digests: readonly Digest[]): Promise<Set<Digest>>;
  /**
   * Records that `digest` is being uploaded into `repository` and waits for its scan. Until
   * `endUpload`, the quarantine counts the repository among those holding the digest (its
   * scanner requirements apply), though no entry names it yet. Resolves to the upload's id.
   */
  beginUpload(repository: string, digest: Digest): Promise<string>;
  /** Forgets an upload begun with beginUpload (its entry is written, or it was refused). Idempotent. */
  endUpload(id: string): Promise<void>;
}
