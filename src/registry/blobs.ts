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

export interface BlobServiceDeps {
  blobs: BlobStore;
  metadata: MetadataStore;
  gate: ContentGate;
}

export class BlobService {
  constructor(private readonly deps: BlobServiceDeps) {}

  /** The blob's size when it is linked into the repository; BLOB_UNKNOWN otherwise. */
  async stat(repository: string, digest: Digest): Promise<BlobInfo> {
    const link = await this.deps.metadata.getBlob(repository, digest);
    if (!link) throw blobUnknown(digest);
    return { digest, size: link.size };
  }

  /** A stream of the blob (or of `range` of it), only if it is linked into the repository. */
  async open(repository: string, digest: Digest, range?: ByteRange): Promise<Readable> {
    await this.stat(repository, digest);
    await this.deps.gate.checkBlob(digest);
    try {
      return await this.deps.blobs.read(digest, range ? { range } : {});
    } catch (err) {
      // Linked but missing on disk: the store lost it (fsck reports it); answer as unknown.
      if (err instanceof BlobNotFoundError) throw blobUnknown(digest);
      throw err;
    }
  }

  /**
   * Random access to the blob when the store offers it (see BlobStore.openHandle), behind
   * the same checks as open(); undefined when the store only streams.
   */
  async openHandle(repository: string, digest: Digest): Promise<BlobHandle | undefined> {
    if (!this.deps.blobs.openHandle) return undefined;
    await this.stat(repository, digest);
    await this.deps.gate.checkBlob(digest);
    try {
      return await this.deps.blobs.openHandle(digest);
    } catch (err) {
      if (err instanceof BlobNotFoundError) throw blobUnknown(digest);
      throw err;
    }
  }

  /** Unlinks the blob from the repository; the bytes go when nothing links them (gc). */
  async delete(repository: string, digest: Digest): Promise<void> {
    if (!(await this.deps.metadata.unlinkBlob(repository, digest))) throw blobUnknown(digest);
    await this.deps.metadata.sync();
  }
}
