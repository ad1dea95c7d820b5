// Reading and deleting blobs as a repository sees them: a blob is visible in a repository
// only when it is linked there, and its bytes must be in the store. This is the one read
// path for blob bytes, and the quarantine gate sits here, in front of every byte served.
// HEAD answers existence without the gate: push clients ask it before uploading a layer,
// and no content leaves; GET is gated.
import type { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.js';
import { blobUnknown } from '../domain/errors.js';
import type { BlobHandle, BlobInfo, BlobStore, ByteRange } from '../ports/blob-store.js';
import { BlobNotFoundError } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ContentGate } from '../quarantine/gate.js';
import type { BlobLease, RemoteSource } from './remote-source.js';

export interface BlobServiceDeps {
  blobs: BlobStore;
  metadata: MetadataStore;
  gate: ContentGate;
  /** Pull-through mirrors, asked on a miss; absent: no remotes. */
  remote?: RemoteSource;
}

/** A blob opened for a GET: random access (`handle`) or a stream of `range`. */
export type BlobRead = { info: BlobInfo; range: ByteRange | undefined } & ({ handle: BlobHandle } | { stream: Readable });

/**
 * Opens committed bytes for sending, once every check has passed: random access when the
 * store offers it (see BlobStore.openHandle), else a stream of the range. Throws
 * BlobNotFoundError when the store has no such blob.
 */
export async function openBlobBytes(store: BlobStore, info: BlobInfo, range: ByteRange | undefined): Promise<BlobRead> {
  if (store.openHandle) return { info, range, handle: await store.openHandle(info.digest) };
  return { info, range, stream: await store.read(info.digest, range ? { range } : {}) };
}

export class BlobService {
  constructor(private readonly deps: BlobServiceDeps) {}

  /** The blob's size when it is linked into the repository; BLOB_UNKNOWN otherwise. */
  async stat(repository: string, digest: Digest): Promise<BlobInfo> {
    const link = await this.deps.metadata.getBlob(repository, digest);
    if (link) return { digest, size: link.size };
    // A mirror answers HEAD from upstream: no bytes move until a GET asks for them.
    const upstream = await this.deps.remote?.statBlob(repository, digest);
    if (!upstream) throw blobUnknown(digest);
    return upstream;
  }

  /**
   * Opens the blob for a GET, only if it is linked into the repository and the gate lets it
   * out; the link is read once. `rangeOf` turns the size into the range to serve (it may
   * throw, e.g. 416, before the gate or the store is asked). Random access when the store
   * offers it (see BlobStore.openHandle), else a stream of the range. In a pull-through
   * mirror the remote is asked first (it fetches what is missing, and a streamed remote's
   * lease is released when the handle closes or the stream ends).
   */
  async openRead(
    repository: string,
    digest: Digest,
    rangeOf: (size: number) => ByteRange | undefined,
    authorize: () => Promise<void> = async () => {},
  ): Promise<BlobRead> {
    let link = await this.deps.metadata.getBlob(repository, digest);
    let authorized = false;
    let lease: BlobLease | undefined;
    if (this.deps.remote && (await this.deps.remote.mirrors(repository))) {
      // The policy before anything is fetched: a caller who may not pull costs no download.
      await authorize();
      authorized = true;
      lease = await this.deps.remote.acquireBlob(repository, digest, link !== undefined);
      if (lease) link = await this.deps.metadata.getBlob(repository, digest);
    }
    try {
      if (!link) throw blobUnknown(digest);
      const info = { digest, size: link.size };
      const range = rangeOf(info.size);
      // The policy before the gate: a caller who may not pull learns nothing of the scan state.
      if (!authorized) await authorize();
      await this.deps.gate.checkBlob(digest);
      return releasedAfterRead(await this.openBytes(digest, info, range), lease);
    } catch (err) {
      await lease?.release();
      throw err;
    }
  }

  private async openBytes(digest: Digest, info: BlobInfo, range: ByteRange | undefined): Promise<BlobRead> {
    try {
      return await openBlobBytes(this.deps.blobs, info, range);
    } catch (err) {
      // Linked but missing on disk: the store lost it (fsck reports it); answer as unknown.
      if (err instanceof BlobNotFoundError) throw blobUnknown(digest);
      throw err;
    }
  }

  /** Unlinks the blob from the repository; the bytes go when nothing links them (gc). */
  async delete(repository: string, digest: Digest, authorize: () => Promise<void> = async () => {}): Promise<void> {
    await this.stat(repository, digest);
    await authorize();
    if (!(await this.deps.metadata.unlinkBlob(repository, digest))) throw blobUnknown(digest);
    await this.deps.metadata.sync();
  }
}

/** The read, with the remote's lease released once its handle is closed or its stream ends. */
export function releasedAfterRead(read: BlobRead, lease: BlobLease | undefined): BlobRead {
  if (!lease) return read;
  if ('stream' in read) {
    read.stream.once('close', () => void lease.release());
    return read;
  }
  const { handle } = read;
  return {
    ...read,
    handle: {
      size: handle.size,
      read: (buffer, length, position) => handle.read(buffer, length, position),
      close: () => handle.close().finally(() => lease.release()),
    },
  };
}
