// The file store's semantics over the ports: a file is an entry (repository, path) naming a
// content-addressed blob. An upload streams into a staged blob, is committed under its
// sha256 (verified against the client's digest when it sent one), admitted to the
// quarantine like any blob, and held until its scan is decided (up to the configured wait):
// infected or unscannable content is refused and no entry is written; clean or still
// pending content gets its entry. Every read asks the gate before a byte leaves.
import { digestOf, newHash, type Digest } from '../domain/digest.js';
import { RegistryError, digestInvalid } from '../domain/errors.js';
import { fileNameOf } from '../domain/file-paths.js';
import type { RegistryMetrics } from '../observability/metrics.js';
import { BlobNotFoundError, DigestMismatchError, type BlobInfo, type BlobStore, type ByteRange } from '../ports/blob-store.js';
import type { FileRecord, FileStore } from '../ports/file-store.js';
import type { ContentState, QuarantineStore } from '../ports/quarantine-store.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import { hashing } from '../streams/hashing.js';
import { openBlobBytes, releasedAfterRead, type BlobRead } from './blobs.js';
import type { FileLease, FileRemoteSource } from './file-remote-source.js';
import { listUpstream, type UpstreamListedFile } from './upstream-listing.js';

/** A file's scan state; `unscanned` when it has none and the gate is open (`--no-scan`). */
export type FileScanState = ContentState | 'unscanned';

export interface FileServiceDeps {
  blobs: BlobStore;
  files: FileStore;
  gatekeeper: Gatekeeper;
  /** Scan states, for listings and answers (servability is the gate's alone). */
  states: Pick<QuarantineStore, 'getStates'>;
  metrics: RegistryMetrics;
  maxPageSize: number;
  /** Makes committed writes durable before the answer (MetadataStore.sync). */
  sync: () => Promise<void>;
  /** File remotes (their namespaces are read-only; reads fetch upstream); absent: none. */
  remote?: FileRemoteSource;
}

export interface FileUpload {
  repository: string;
  /** A valid path (src/domain/file-paths.ts); its last segment is given to scanners. */
  path: string;
  body: AsyncIterable<Uint8Array>;
  mediaType: string;
  /** The sha256 the client says the bytes have; a mismatch is DIGEST_INVALID and nothing is kept. */
  expected?: Digest;
}

export interface StoredFile {
  file: FileRecord;
  scanState: FileScanState;
  /** Whether the gate lets it out now (clean, or no gate). */
  servable: boolean;
}

export interface ListedFile extends FileRecord {
  scanState: FileScanState;
}

export interface FileListRequest {
  /** Page size; capped at the registry's maxPageSize (default it). */
  n?: number;
  last?: string;
  prefix?: string;
}

export interface FileListing {
  /** A file remote's listing also shows the files its manifest lists that are not stored here. */
  files: (ListedFile | UpstreamListedFile)[];
  /** What to ask for the next page, when there may be one. */
  next?: { n: number; last: string };
}

/** Decides whether the caller may act on the file (throws to refuse). */
export type AuthorizeFile = (file: FileRecord) => Promise<void>;

export const fileUnknown = (repository: string, path: string) =>
  new RegistryError('FILE_UNKNOWN', `no file ${path} in ${repository}`, { detail: { repository, path } });

export class FileService {
  constructor(private readonly deps: FileServiceDeps) {}

  async upload(upload: FileUpload): Promise<StoredFile> {
    const { repository, path, mediaType } = upload;
    await this.refuseWriteToRemote(repository);
    const info = await this.stage(upload);
    // Until the entry is written, the upload tells the quarantine whose scanners apply.
    const claim = await this.deps.files.beginUpload(repository, info.digest);
    let file: FileRecord;
    try {
      await this.deps.gatekeeper.admit(repository, info.digest, 'blob', { filename: fileNameOf(path), mediaType });
      // Throws DENIED naming the signature when infected (or the scanner error when failed):
      // the entry is then never written, and an earlier file at the path stays.
      await this.deps.gatekeeper.holdUntilDecided([{ digest: info.digest, what: `file ${path}` }]);
      file = await this.deps.files.put({ repository, path, digest: info.digest, size: info.size, mediaType });
    } finally {
      await this.deps.files.endUpload(claim);
    }
    await this.deps.sync();
    const states = await this.scanStates([file.digest]);
    return { file, scanState: states.of(file.digest), servable: states.servable.has(file.digest) };
  }

  /** The entry at a path; FILE_UNKNOWN when there is none. */
  async find(repository: string, path: string): Promise<FileRecord> {
    const file = await this.deps.files.get(repository, path);
    if (!file) throw fileUnknown(repository, path);
    return file;
  }

  /**
   * The file, if the caller may have it (`authorize`, first: a caller who may not learns
   * nothing of its scan state) and the gate lets it out (503 pending, 403 infected/failed).
   */
  async resolve(repository: string, path: string, authorize: AuthorizeFile = async () => {}): Promise<FileRecord> {
    const file = await this.find(repository, path);
    await authorize(file);
    await this.deps.gatekeeper.checkBlob(file.digest);
    return file;
  }

  /**
   * resolve() for a download: in a file remote's namespace the file is first fetched upstream
   * when missing or stale (the rule that reads the file is then decided with it in hand). The
   * lease is released by openRead once the bytes are sent (or at once, for a HEAD).
   */
  async resolveRead(repository: string, path: string, authorize: AuthorizeFile = async () => {}): Promise<{ file: FileRecord; lease?: FileLease }> {
    if (!(await this.deps.remote?.mirrors(repository))) return { file: await this.resolve(repository, path, authorize) };
    const lease = await this.deps.remote!.acquire(repository, path);
    try {
      await authorize(lease.file);
      await this.deps.gatekeeper.checkBlob(lease.file.digest);
      return { file: lease.file, lease };
    } catch (err) {
      await lease.release();
      throw err;
    }
  }

  /** Opens a resolved file's bytes (or a range of them) for sending; the lease goes once they are sent. */
  async openRead(file: FileRecord, range: ByteRange | undefined, lease?: FileLease): Promise<BlobRead> {
    try {
      return releasedAfterRead(await openBlobBytes(this.deps.blobs, { digest: file.digest, size: file.size }, range), lease);
    } catch (err) {
      await lease?.release();
      // An entry whose bytes the store lost (fsck reports it): answer as unknown.
      if (err instanceof BlobNotFoundError) throw fileUnknown(file.repository, file.path);
      throw err;
    }
  }

  /** Removes the entry; the bytes go with garbage collection, once nothing names them. */
  /** Deletes the entry (the bytes stay while another entry or image holds them); returns what it was. */
  async delete(repository: string, path: string, authorize: AuthorizeFile = async () => {}): Promise<FileRecord> {
    await this.refuseWriteToRemote(repository);
    const file = await this.find(repository, path);
    await authorize(file);
    if (!(await this.deps.files.delete(repository, path))) throw fileUnknown(repository, path);
    await this.deps.sync();
    return file;
  }

  /** One page of a repository's files, sorted by path, with their scan states. */
  async list(repository: string, request: FileListRequest): Promise<FileListing> {
    const n = Math.min(request.n ?? this.deps.maxPageSize, this.deps.maxPageSize);
    if (n === 0) return { files: [] };
    if (await this.deps.remote?.mirrors(repository)) {
      const upstream = await this.deps.remote!.list(repository, { n: n + 1, ...(request.last !== undefined ? { last: request.last } : {}), prefix: request.prefix ?? '' });
      if (upstream) return listUpstream(upstream, n, this.deps.states, (digests) => this.scanStates(digests));
    }
    // One more than the page holds, to know whether a next page exists.
    const rows = await this.deps.files.list(repository, {
      n: n + 1,
      ...(request.last !== undefined ? { last: request.last } : {}),
      ...(request.prefix !== undefined ? { prefix: request.prefix } : {}),
    });
    const page = rows.slice(0, n);
    const states = await this.scanStates(page.map((file) => file.digest));
    const files = page.map((file) => ({ ...file, scanState: states.of(file.digest) }));
    return rows.length > n ? { files, next: { n, last: page[page.length - 1]!.path } } : { files };
  }

  /** A file remote's namespace holds only what its upstream has: 405, before any byte is read. */
  private async refuseWriteToRemote(repository: string): Promise<void> {
    if (!(await this.deps.remote?.mirrors(repository))) return;
    throw new RegistryError('UNSUPPORTED', `${repository} is a file remote's namespace (a mirror of an upstream file source): it is read-only`, {
      detail: { repository },
    });
  }

  /** The scan state of one file's content (for rules that read `scan_state`). */
  async scanState(digest: Digest): Promise<FileScanState> {
    return (await this.scanStates([digest])).of(digest);
  }

  private scanStates(digests: readonly Digest[]): Promise<FileScanStates> {
    return fileScanStates(this.deps, digests);
  }

  /** Streams the body into a staged blob and commits it under its sha256; nothing is kept on failure. */
  private async stage(upload: FileUpload): Promise<BlobInfo> {
    const staged = await this.deps.blobs.createUpload();
    try {
      const hash = upload.expected === undefined ? newHash('sha256') : undefined;
      const started = performance.now();
      const size = await staged.append(hash ? hashing(upload.body, hash) : upload.body);
      this.deps.metrics.observeUpload((performance.now() - started) / 1000);
      this.deps.metrics.bytesIn(size);
      const digest = upload.expected ?? digestOf('sha256', hash!);
      const committing = performance.now();
      const info = await staged.commit(digest);
      this.deps.metrics.observeCommit((performance.now() - committing) / 1000);
      return info;
    } catch (err) {
      await staged.cancel().catch(() => {}); // the original error is the one worth reporting
      if (err instanceof DigestMismatchError) throw digestInvalid({ expected: err.expected, actual: err.actual });
      throw err;
    }
  }
}

export interface FileScanStates {
  of(digest: Digest): FileScanState;
  servable: Set<Digest>;
}

/** The scan states of file contents, as answers show them and rules read them (`scan_state`). */
export async function fileScanStates(deps: Pick<FileServiceDeps, 'states' | 'gatekeeper'>, digests: readonly Digest[]): Promise<FileScanStates> {
  const [states, servable] = await Promise.all([deps.states.getStates(digests), deps.gatekeeper.servable(digests)]);
  // No state: pending to a gate (a crash between commit and admission), unscanned without one.
  return { of: (digest) => states.get(digest)?.state ?? (servable.has(digest) ? 'unscanned' : 'pending'), servable };
}
