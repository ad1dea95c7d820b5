// Blob uploads as the distribution spec defines them: monolithic (POST with digest),
// POST then PUT, chunked PATCHes with Content-Range, status, cancel and cross-repository
// mount. Bytes are staged in the BlobStore and become visible only through commit(); the
// store also refuses a second request writing into an upload that is already being written.
import type { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.js';
import { parseDigest } from '../domain/digest.js';
import { RegistryError, digestInvalid, uploadUnknown } from '../domain/errors.js';
import type { BlobInfo, BlobStore, StagedUpload } from '../ports/blob-store.js';
import { DigestMismatchError } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { RegistryMetrics } from '../observability/metrics.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';

export interface UploadServiceDeps {
  blobs: BlobStore;
  metadata: MetadataStore;
  metrics: RegistryMetrics;
  /** Admits every blob the moment it is committed or mounted, so its scan starts at once. */
  gatekeeper: Gatekeeper;
}

export interface UploadProgress {
  id: string;
  /** Bytes received so far; the next chunk must start at this offset. */
  size: number;
}

/** A chunk's position as sent in `Content-Range: <start>-<end>` (inclusive). */
export interface ChunkRange {
  start: number;
  end: number;
}

/** The `Range` header of upload responses: the bytes received so far, `0-<last>`. */
export function uploadedRange(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

export class UploadService {
  constructor(private readonly deps: UploadServiceDeps) {}

  async start(repository: string): Promise<UploadProgress> {
    const upload = await this.deps.blobs.createUpload();
    await this.deps.metadata.createUpload({ id: upload.id, repository });
    return { id: upload.id, size: 0 };
  }

  /** POST with `digest`: the whole blob in one request, with no session left behind. */
  async monolithic(repository: string, digest: Digest, body: Readable): Promise<BlobInfo> {
    const upload = await this.deps.blobs.createUpload();
    try {
      await this.stream(upload, body);
      return await this.commit(repository, upload, digest);
    } catch (err) {
      await upload.cancel();
      throw err;
    }
  }

  /**
   * Cross-repository mount: links `digest` into `repository` when `from` holds it (or,
   * without `from`, when any repository does). Resolves undefined when it cannot mount,
   * and the caller starts an ordinary upload instead, as the spec asks.
   */
  async mount(repository: string, digest: Digest, from: string | undefined): Promise<BlobInfo | undefined> {
    const source = from !== undefined ? await this.deps.metadata.getBlob(from, digest) : await this.deps.metadata.findBlob(digest);
    if (!source) return undefined;
    if (!(await this.deps.blobs.stat(digest))) return undefined;
    await this.deps.metadata.linkBlob(repository, { digest, size: source.size });
    await this.deps.gatekeeper.admit(repository, digest, 'blob');
    await this.deps.metadata.sync();
    return { digest, size: source.size };
  }

  async status(repository: string, id: string): Promise<UploadProgress> {
    const upload = await this.open(repository, id);
    return { id, size: await upload.size() };
  }

  /** PATCH: appends a chunk. With a range, it must start where the upload stands (else 416). */
  async append(repository: string, id: string, body: Readable, range?: ChunkRange): Promise<UploadProgress> {
    const upload = await this.open(repository, id);
    if (range) await this.checkChunkStart(upload, range);
    const size = await this.stream(upload, body);
    if (range && size !== range.end + 1) {
      throw new RegistryError('SIZE_INVALID', `chunk ended at ${size - 1}, Content-Range said ${range.end}`);
    }
    return { id, size };
  }

  /** PUT: appends an optional last chunk, verifies the digest and makes the blob visible. */
  async finish(repository: string, id: string, digest: Digest, body?: Readable, range?: ChunkRange): Promise<BlobInfo> {
    const upload = await this.open(repository, id);
    if (body) {
      if (range) await this.checkChunkStart(upload, range);
      await this.stream(upload, body);
    }
    try {
      const info = await this.commit(repository, upload, digest);
      await this.deps.metadata.deleteUpload(id);
      return info;
    } catch (err) {
      // A wrong digest ends the session: the client must start again (as distribution does).
      if (err instanceof RegistryError && err.code === 'DIGEST_INVALID') await this.discard(id, upload);
      throw err;
    }
  }

  async cancel(repository: string, id: string): Promise<void> {
    const upload = await this.open(repository, id);
    await this.discard(id, upload);
  }

  private async discard(id: string, upload: StagedUpload): Promise<void> {
    await upload.cancel();
    await this.deps.metadata.deleteUpload(id);
  }

  private async open(repository: string, id: string): Promise<StagedUpload> {
    const session = await this.deps.metadata.getUpload(id);
    if (!session || session.repository !== repository) throw uploadUnknown(id);
    const upload = await this.deps.blobs.openUpload(id);
    if (!upload) throw uploadUnknown(id);
    return upload;
  }

  private async checkChunkStart(upload: StagedUpload, range: ChunkRange): Promise<void> {
    const size = await upload.size();
    if (range.start !== size) {
      throw new RegistryError('RANGE_INVALID', `chunk starts at ${range.start}, but the upload has ${size} bytes`, {
        headers: { range: uploadedRange(size) },
        detail: { expectedStart: size },
      });
    }
  }

  private async stream(upload: StagedUpload, body: Readable): Promise<number> {
    const before = await upload.size();
    const started = performance.now();
    const size = await upload.append(body);
    this.deps.metrics.observeUpload((performance.now() - started) / 1000);
    this.deps.metrics.bytesIn(size - before);
    return size;
  }

  private async commit(repository: string, upload: StagedUpload, digest: Digest): Promise<BlobInfo> {
    if (!parseDigest(digest)) throw digestInvalid({ digest, reason: 'unsupported or malformed digest' });
    const started = performance.now();
    let info: BlobInfo;
    try {
      info = await upload.commit(digest);
    } catch (err) {
      if (err instanceof DigestMismatchError) throw digestInvalid({ expected: err.expected, actual: err.actual });
      throw err;
    }
    await this.deps.metadata.linkBlob(repository, info);
    this.deps.metrics.observeCommit((performance.now() - started) / 1000);
    await this.deps.gatekeeper.admit(repository, info.digest, 'blob');
    // Durable before the 201: the link and the admission (its pending state and scan jobs).
    await this.deps.metadata.sync();
    return info;
  }
}
