// BlobStore: bytes by digest. Writes are staged and become visible only through
// `commit(expected)` once the staged bytes hash to the expected digest, so a half-written
// or mismatching blob is never readable. Adapters: filesystem (default); S3 later.
// Every adapter runs the shared suite in src/storage/blob-store.suite.ts.
import type { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ReadOptions {
  /**
   * An unsatisfiable range (start > end, or start >= size) throws RegistryError
   * RANGE_INVALID; an end past the blob is clipped.
   */
  range?: ByteRange;
  signal?: AbortSignal;
}

export interface AppendOptions {
  signal?: AbortSignal;
}

/** Thrown by `commit` when the staged bytes do not hash to the expected digest. */
export class DigestMismatchError extends Error {
  constructor(
    readonly expected: Digest,
    readonly actual: Digest,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** Thrown by `read` when no committed blob has the digest. */
export class BlobNotFoundError extends Error {
  constructor(readonly digest: Digest) {
    super(`blob not found: ${digest}`);
    this.name = 'BlobNotFoundError';
  }
}

/** Random access to a committed blob's bytes, read into the caller's own buffers. */
export interface BlobHandle {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buffer`; resolves to how many (0 at the end). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** A staged upload: bytes appended across one or many requests, then committed or cancelled. */
export interface StagedUpload {
  readonly id: string;
  /** Bytes staged so far. */
  size(): Promise<number>;
  /**
   * Streams `source` onto the end of the staged bytes, hashing as it goes, with back-pressure.
   * Resolves to the new total size. If the source fails or the signal aborts, the promise
   * rejects and the bytes written so far stay staged (size() tells how many).
   */
  append(source: Readable | AsyncIterable<Uint8Array>, options?: AppendOptions): Promise<number>;
  /**
   * Verifies that everything staged hashes to `expected` and, only then, makes it readable
   * under that digest, atomically. On a mismatch throws DigestMismatchError and keeps the
   * staged bytes (the caller decides whether to cancel). Committing a digest that already
   * exists discards the staged copy. The upload is gone after a successful commit.
   */
  commit(expected: Digest): Promise<BlobInfo>;
  /** Discards the staged bytes. Idempotent. */
  cancel(): Promise<void>;
}

export interface BlobStore {
  /** The size of a committed blob, or undefined when there is none. */
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /** A back-pressured stream of a committed blob (or of a range of it). Throws BlobNotFoundError. */
  read(digest: Digest, options?: ReadOptions): Promise<Readable>;
  /**
   * Optional random access to a committed blob, so a server can send it through a few
   * reused buffers instead of a stream that allocates one per chunk (garbage that costs a
   * third of a 1 GiB pull in collections). Throws BlobNotFoundError. Stores without it are
   * served with read().
   */
  openHandle?(digest: Digest): Promise<BlobHandle>;
  /**
   * Optional: the absolute path of the plain file holding a committed blob, for a scanner on
   * this host that reads it where it is (clamd's SCAN) instead of being sent the bytes. Only
   * stores that keep blobs as files have one; the file may be gone by the time it is read
   * (deleted, quarantined), which the reader must treat as "read the bytes instead".
   */
  storedPath?(digest: Digest): string;
  /** Removes a committed blob; resolves false when there was none. */
  delete(digest: Digest): Promise<boolean>;
  /**
   * Moves a committed blob into a quarantine area that read() and stat() do not see (the
   * gate found it infected); resolves false when no such blob is committed.
   */
  quarantine(digest: Digest): Promise<boolean>;
  /** A stream of quarantined bytes, for admins. Throws BlobNotFoundError. */
  readQuarantined(digest: Digest, options?: ReadOptions): Promise<Readable>;
  /** Moves quarantined bytes back among the committed blobs (an admin released them). */
  restore(digest: Digest): Promise<boolean>;
  /** Every committed blob, in no particular order (for fsck and garbage collection). */
  list(): AsyncIterable<BlobInfo>;
  /** Starts a new staged upload with a fresh, unguessable id. */
  createUpload(): Promise<StagedUpload>;
  /** Reopens a staged upload by id (possibly from another process), or undefined. */
  openUpload(id: string): Promise<StagedUpload | undefined>;
  /** Removes staged uploads untouched for longer than `olderThanMs`; resolves to how many. */
  sweepStaging(olderThanMs: number): Promise<number>;
  /** Throws when the store cannot be written or read (for /readyz). */
  check(): Promise<void>;
}
