// The default BlobStore: plain files on one filesystem. Uploads are staged under
// ROOT/uploads and renamed into ROOT/blobs/<alg>/<xx>/<hex> once verified, so a crash
// mid-upload leaves nothing visible (only a staging file that sweepStaging removes).
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { isDigest, supportedAlgorithms, type Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import { BlobNotFoundError, type BlobHandle, type BlobInfo, type BlobStore, type ByteRange, type ReadOptions, type StagedUpload } from '../ports/blob-store.js';
import { FsLayout, isUploadId } from './fs-layout.js';
import { createStagedFile, FsStagedUpload, stagedFileExists, type UploadContext } from './fs-staged-upload.js';
import { isNotFound, readdirIfExists, statIfExists } from './fs-util.js';
import { readChunkBytes } from './hash-stream.js';

export interface FilesystemBlobStoreOptions {
  root: string;
  /** fsync each blob (and its directory) at commit, so an acknowledged push survives a power cut. */
  fsync: boolean;
}

export class FilesystemBlobStore implements BlobStore {
  private readonly layout: FsLayout;
  private readonly context: UploadContext;
  private directoriesReady: Promise<void> | undefined;

  constructor(options: FilesystemBlobStoreOptions) {
    this.layout = new FsLayout(options.root);
    this.context = { layout: this.layout, fsync: options.fsync, hashStates: new Map(), busy: new Set() };
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    const info = await statIfExists(this.layout.blobPath(digest));
    return info?.isFile() ? { digest, size: info.size } : undefined;
  }

  read(digest: Digest, options: ReadOptions = {}): Promise<Readable> {
    return this.openStream(this.layout.blobPath(digest), digest, options);
  }

  async openHandle(digest: Digest): Promise<BlobHandle> {
    const handle = await open(this.layout.blobPath(digest), 'r').catch((err: unknown) => {
      throw isNotFound(err) ? new BlobNotFoundError(digest) : err;
    });
    const { size } = await handle.stat();
    return {
      size,
      read: async (buffer, length, position) => (await handle.read(buffer, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  storedPath(digest: Digest): string {
    return resolve(this.layout.blobPath(digest));
  }

  readQuarantined(digest: Digest, options: ReadOptions = {}): Promise<Readable> {
    return this.openStream(this.layout.quarantinePath(digest), digest, options);
  }

  quarantine(digest: Digest): Promise<boolean> {
    return this.move(this.layout.blobPath(digest), this.layout.quarantinePath(digest));
  }

  restore(digest: Digest): Promise<boolean> {
    return this.move(this.layout.quarantinePath(digest), this.layout.blobPath(digest));
  }

  /** Renames a file into another tree (creating its fan-out directory); false when absent. */
  private async move(from: string, to: string): Promise<boolean> {
    await mkdir(dirname(to), { recursive: true });
    try {
      await rename(from, to);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private async openStream(path: string, digest: Digest, options: ReadOptions): Promise<Readable> {
    options.signal?.throwIfAborted();
    const handle = await open(path, 'r').catch((err: unknown) => {
      throw isNotFound(err) ? new BlobNotFoundError(digest) : err;
    });
    let range: ByteRange | undefined;
    try {
      const { size } = await handle.stat();
      range = options.range && satisfiableRange(options.range, size);
    } catch (err) {
      await handle.close();
      throw err;
    }
    const stream = handle.createReadStream({ highWaterMark: readChunkBytes, ...range });
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  async delete(digest: Digest): Promise<boolean> {
    try {
      await rm(this.layout.blobPath(digest));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const algorithm of supportedAlgorithms) {
      const algorithmDir = join(this.layout.blobsDir, algorithm);
      for (const fanOut of await readdirIfExists(algorithmDir)) {
        for (const hex of await readdirIfExists(join(algorithmDir, fanOut))) {
          const digest = `${algorithm}:${hex}`;
          if (!isDigest(digest)) continue;
          const info = await this.stat(digest);
          if (info) yield info;
        }
      }
    }
  }

  async createUpload(): Promise<StagedUpload> {
    await this.ensureDirectories();
    const id = randomUUID();
    await createStagedFile(this.context, id);
    return new FsStagedUpload(this.context, id);
  }

  async openUpload(id: string): Promise<StagedUpload | undefined> {
    if (!isUploadId(id) || !(await stagedFileExists(this.context, id))) return undefined;
    return new FsStagedUpload(this.context, id);
  }

  async sweepStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    const names = await readdirIfExists(this.layout.uploadsDir);
    this.forgetHashStatesExcept(new Set(names));
    for (const name of names) {
      if (this.context.busy.has(name)) continue;
      const path = join(this.layout.uploadsDir, name);
      const info = await statIfExists(path);
      if (!info || info.mtimeMs >= cutoff) continue;
      await rm(path, { force: true, recursive: true });
      this.context.hashStates.delete(name);
      removed += 1;
    }
    return removed;
  }

  async check(): Promise<void> {
    await this.ensureDirectories();
    const probe = join(this.layout.uploadsDir, `.check-${randomUUID()}`);
    const written = randomUUID();
    try {
      await writeFile(probe, written);
      if ((await readFile(probe, 'utf8')) !== written) throw new Error(`blob store at ${this.layout.root} read back other bytes`);
    } finally {
      await rm(probe, { force: true });
    }
  }

  /** Drops hash states of uploads whose staged file is gone (swept or cancelled by another process). */
  private forgetHashStatesExcept(stagedIds: Set<string>): void {
    for (const id of this.context.hashStates.keys()) {
      if (!stagedIds.has(id) && !this.context.busy.has(id)) this.context.hashStates.delete(id);
    }
  }

  private ensureDirectories(): Promise<void> {
    this.directoriesReady ??= Promise.all([
      mkdir(this.layout.blobsDir, { recursive: true }),
      mkdir(this.layout.uploadsDir, { recursive: true }),
    ]).then(
      () => undefined,
      (err: unknown) => {
        this.directoriesReady = undefined; // let a later call retry (e.g. once a volume is mounted)
        throw err;
      },
    );
    return this.directoriesReady;
  }
}

/** The range clipped to the blob (as HTTP does with an end past the last byte), or a 416. */
function satisfiableRange(range: ByteRange, size: number): ByteRange {
  if (range.start < 0 || range.start > range.end || range.start >= size) {
    throw new RegistryError('RANGE_INVALID', undefined, {
      detail: { range, size },
      headers: { 'Content-Range': `bytes */${size}` },
    });
  }
  return { start: range.start, end: Math.min(range.end, size - 1) };
}
