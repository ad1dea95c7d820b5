// A staged upload of the filesystem blob store: bytes appended to ROOT/uploads/<id>, hashed
// as they stream, then renamed into their content-addressed path by `commit`.
import { once } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Hash } from 'node:crypto';
import { digestOf, newHash, parseDigest, type Algorithm, type Digest } from '../domain/digest.js';
import { RegistryError, uploadUnknown } from '../domain/errors.js';
import { DigestMismatchError, type AppendOptions, type BlobInfo, type StagedUpload } from '../ports/blob-store.js';
import type { FsLayout } from './fs-layout.js';
import { fsyncPath, isNotFound, statIfExists } from './fs-util.js';
import { hashFile, hashingTap } from './hash-stream.js';
import { ingestPacer } from '../observability/memory-pacer.js';

/** The running sha256 of an upload's first `size` staged bytes. */
export interface HashState {
  hash: Hash;
  size: number;
}

/** What the uploads of one store instance share. */
export interface UploadContext {
  layout: FsLayout;
  fsync: boolean;
  /** Per upload id; only valid while `size` equals the staged file's size. */
  hashStates: Map<string, HashState>;
  /** Upload ids with an append or commit in flight in this process. */
  busy: Set<string>;
}

// Write-only, appending, and never creating: an upload that was cancelled or committed
// must not come back to life through a late append.
const appendFlags = fsConstants.O_WRONLY | fsConstants.O_APPEND;
const writeChunkBytes = 1024 * 1024;

export class FsStagedUpload implements StagedUpload {
  private readonly path: string;

  constructor(
    private readonly context: UploadContext,
    readonly id: string,
  ) {
    this.path = context.layout.uploadPath(id);
  }

  async size(): Promise<number> {
    const info = await statIfExists(this.path);
    if (!info) throw uploadUnknown(this.id);
    return info.size;
  }

  append(source: Readable | AsyncIterable<Uint8Array>, options: AppendOptions = {}): Promise<number> {
    options.signal?.throwIfAborted();
    return this.exclusively(() => this.appendNow(source, options.signal));
  }

  async commit(expected: Digest): Promise<BlobInfo> {
    const parsed = parseDigest(expected);
    if (!parsed) throw new TypeError(`not a supported digest: ${expected}`);
    return this.exclusively(() => this.commitNow(expected, parsed.algorithm));
  }

  async cancel(): Promise<void> {
    this.context.hashStates.delete(this.id);
    await rm(this.path, { force: true });
  }

  private async appendNow(source: Readable | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<number> {
    const handle = await this.openForAppend();
    const start = await handle.stat().then(
      (info) => info.size,
      async (err: unknown) => {
        await handle.close();
        throw err;
      },
    );
    const state = this.hashStateAt(start);
    const out = handle.createWriteStream({ highWaterMark: writeChunkBytes });
    let appended = 0;
    try {
      const counted = (n: number) => {
        appended += n;
        ingestPacer.note(n);
      };
      if (state) await pipeline(source, hashingTap(state.hash, counted), out, { signal });
      else await pipeline(source, out, { signal });
    } catch (err) {
      // The hash may have seen bytes that never reached the file: forget it, commit re-hashes.
      this.context.hashStates.delete(this.id);
      throw err;
    } finally {
      // Settle only once the file is closed, so size() afterwards counts every byte written.
      if (!out.closed) await once(out, 'close');
      ingestPacer.settle();
    }
    if (!state) return this.size();
    state.size = start + appended;
    return state.size;
  }

  private async openForAppend() {
    try {
      return await open(this.path, appendFlags);
    } catch (err) {
      if (isNotFound(err)) throw uploadUnknown(this.id);
      throw err;
    }
  }

  /**
   * The hash state to continue from when `size` bytes are staged: the one kept in memory if
   * it covers exactly those bytes, a fresh one for an empty file, otherwise none (bytes were
   * appended by another process or a failed append; commit will re-hash the file).
   */
  private hashStateAt(size: number): HashState | undefined {
    const kept = this.context.hashStates.get(this.id);
    if (kept && kept.size === size) return kept;
    this.context.hashStates.delete(this.id);
    if (size !== 0) return undefined;
    const fresh = { hash: newHash('sha256'), size: 0 };
    this.context.hashStates.set(this.id, fresh);
    return fresh;
  }

  private async commitNow(expected: Digest, algorithm: Algorithm): Promise<BlobInfo> {
    const size = await this.size();
    const actual = await this.stagedDigest(algorithm, size);
    if (actual !== expected) throw new DigestMismatchError(expected, actual);
    await this.promote(this.context.layout.blobPath(expected));
    this.context.hashStates.delete(this.id);
    return { digest: expected, size };
  }

  private async stagedDigest(algorithm: Algorithm, size: number): Promise<Digest> {
    const kept = this.context.hashStates.get(this.id);
    // copy(): a mismatch keeps the upload, and its hash must still be able to go on.
    if (algorithm === 'sha256' && kept?.size === size) return digestOf('sha256', kept.hash.copy());
    return hashFile(this.path, algorithm);
  }

  /** Makes the verified staged file readable at `target`, atomically and (if asked) durably. */
  private async promote(target: string): Promise<void> {
    if (await statIfExists(target)) {
      // Same digest, same bytes: the committed copy wins and the staged one goes.
      await rm(this.path, { force: true });
      return;
    }
    if (this.context.fsync) await fsyncPath(this.path);
    const created = await mkdir(dirname(target), { recursive: true });
    await rename(this.path, target);
    if (this.context.fsync) await this.fsyncParents(target, created);
  }

  /** fsyncs the directory holding `target`, and each parent of a directory mkdir created. */
  private async fsyncParents(target: string, firstCreated: string | undefined): Promise<void> {
    const stopAt = firstCreated === undefined ? dirname(target) : dirname(firstCreated);
    for (let dir = dirname(target); ; dir = dirname(dir)) {
      await fsyncPath(dir);
      if (dir === stopAt || dir === dirname(dir)) return;
    }
  }

  private async exclusively<T>(work: () => Promise<T>): Promise<T> {
    if (this.context.busy.has(this.id)) {
      throw new RegistryError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload', {
        detail: { uuid: this.id },
      });
    }
    this.context.busy.add(this.id);
    try {
      return await work();
    } finally {
      this.context.busy.delete(this.id);
    }
  }
}

/** Creates an empty staged file for a new upload (fails if the id is somehow taken). */
export async function createStagedFile(context: UploadContext, id: string): Promise<void> {
  const handle = await open(context.layout.uploadPath(id), 'wx');
  await handle.close();
  context.hashStates.set(id, { hash: newHash('sha256'), size: 0 });
}

/** Whether a staged upload with this id exists on disk. */
export async function stagedFileExists(context: UploadContext, id: string): Promise<boolean> {
  return (await statIfExists(context.layout.uploadPath(id)))?.isFile() ?? false;
}
