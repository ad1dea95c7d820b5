// Downloads one file of a file remote into the blob store, verified: the upstream stream is
// teed into a staged upload and into the scanners (ArrivalScans), and committed only if it
// hashes to the manifest's sha256 (a mismatch is cancelled: never stored or served, 502).
// Without a manifest the digest is what arrived. Runs under its own time limit, not a client's
// request (callers run it in a single flight). Bytes with the expected digest already in the
// store are not downloaded again: they were verified when they were committed.
import type { Logger } from 'pino';
import { digestOf, newHash, type Digest } from '../../domain/digest.js';
import { RegistryError } from '../../domain/errors.js';
import { fileNameOf } from '../../domain/file-paths.js';
import { defaultMediaType, isMediaType } from '../../domain/media-types.js';
import { DigestMismatchError, type BlobInfo, type BlobStore } from '../../ports/blob-store.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import { storedCopy, type ArrivalScans } from '../../quarantine/arrival-scans.js';
import { refusedError } from '../../quarantine/gate-errors.js';
import { hashing } from '../../streams/hashing.js';
import type { FileRemote } from './file-remote-map.js';
import type { Validators } from './file-upstream.js';
import type { ManifestEntry } from './pulp-manifest.js';

export interface FileFetcherDeps {
  blobs: BlobStore;
  /** Bytes already refused are never committed again (they hash to a known infected digest). */
  states: Pick<QuarantineStore, 'getState'>;
  logger: Logger;
  /** Scans the download as it arrives; absent: the scan job scans the stored bytes. */
  arrivalScans?: ArrivalScans;
  /**
   * Resolves once no bytes of this digest are being dropped (a streamed read's cleanup), so a
   * fetch never counts on bytes about to go.
   */
  settled?(digest: Digest): Promise<void>;
  /** A download that takes longer than this is aborted (and its staged bytes cancelled). */
  fetchTimeoutMs?: number;
}

/** A file now in the blob store. */
export interface Arrival {
  info: BlobInfo;
  mediaType: string;
  /** The upstream's ETag and Last-Modified, to ask for something newer later. */
  validators: Validators;
  /**
   * Settles once the scans that read the bytes as they arrived have recorded their verdicts
   * (at once when there were none). Not awaited by the download: a scan that outlasts it
   * must not hold up a client's answer past its wait.
   */
  scanned: Promise<void>;
}

export interface DownloadRequest {
  remote: FileRemote;
  /** The repository it is fetched for (whose scanners scan it as it arrives). */
  repository: string;
  path: string;
  /** The manifest's entry: the digest (and size) the bytes must have. */
  expected?: ManifestEntry;
  /** The copy held (no manifest): the upstream may answer that it is current. */
  validators?: Validators;
}

const defaultFetchTimeoutMs = 30 * 60_000;

export class FileFetcher {
  /** Upstream downloads started (each one GET; for tests and metrics). */
  downloads = 0;

  constructor(private readonly deps: FileFetcherDeps) {}

  /** The file in the store, or `notModified` when the upstream says the copy held is current. */
  async download(request: DownloadRequest): Promise<Arrival | { notModified: true; validators: Validators }> {
    const { remote, path, expected } = request;
    if (expected) {
      await this.deps.settled?.(expected.digest);
      const present = await this.deps.blobs.stat(expected.digest);
      if (present) return { info: present, mediaType: defaultMediaType, validators: {}, scanned: Promise.resolve() };
    }
    this.downloads++;
    const started = performance.now();
    const upload = await this.deps.blobs.createUpload();
    const signal = AbortSignal.timeout(this.deps.fetchTimeoutMs ?? defaultFetchTimeoutMs);
    try {
      const got = await remote.upstream.getIfChanged(`${remote.filesDir}${path}`, request.validators ?? {}, signal);
      if ('notModified' in got) {
        await upload.cancel();
        return got;
      }
      if (expected && got.size !== undefined && got.size !== expected.size) {
        got.body.destroy();
        throw mismatch(remote, path, `is ${got.size} bytes long, the manifest says ${expected.size}`);
      }
      const arrival = await this.deps.arrivalScans?.begin(request.repository, expected?.digest, got.body, signal, fileNameOf(path)).catch((err: unknown) => {
        got.body.destroy();
        throw err;
      });
      const hash = expected ? undefined : newHash('sha256');
      let info: BlobInfo;
      try {
        const source = arrival?.toStore ?? got.body;
        await upload.append(hash ? hashing(source, hash) : source, { signal });
        const digest = expected?.digest ?? digestOf('sha256', hash!);
        if (!expected) {
          // Without a manifest the digest is known only now: refused content stays out of the store.
          await refuseIfRefused(this.deps.states, digest, path);
          await this.deps.settled?.(digest);
        }
        info = await upload.commit(digest);
      } catch (err) {
        got.body.destroy(); // stops the scans' branches too
        await arrival?.settle(false);
        throw err;
      }
      // The verdicts only save the scan job its work: failing to keep them fails nothing.
      const scanned = (arrival?.settle(true, info.digest, storedCopy(this.deps.blobs, info.digest)) ?? Promise.resolve()).catch((err: unknown) =>
        this.deps.logger.warn({ digest: info.digest, err }, 'could not record the verdicts of the scan while arriving'),
      );
      this.deps.logger.info({ digest: info.digest, remote: remote.config.name, path, size: info.size, seconds: (performance.now() - started) / 1000 }, 'fetched file from upstream');
      const mediaType = got.mediaType !== undefined && isMediaType(got.mediaType) ? got.mediaType : defaultMediaType;
      return { info, mediaType, validators: got.validators, scanned };
    } catch (err) {
      await upload.cancel().catch(() => {}); // nothing half-written stays
      throw fetchError(remote, path, err);
    }
  }
}

function mismatch(remote: FileRemote, path: string, what: string, digests: { expected?: Digest; actual?: Digest } = {}): RegistryError {
  return new RegistryError('UNAVAILABLE', `remote ${remote.config.name} sent ${path}, which ${what}; nothing was stored or served`, {
    status: 502,
    detail: { remote: remote.config.name, path, ...digests },
  });
}

function fetchError(remote: FileRemote, path: string, err: unknown): unknown {
  if (err instanceof DigestMismatchError) {
    return mismatch(remote, path, `hashes to ${err.actual}, not the manifest's ${err.expected}`, { expected: err.expected, actual: err.actual });
  }
  if (err instanceof RegistryError) return err;
  return new RegistryError('UNAVAILABLE', `the download of ${path} from remote ${remote.config.name} broke off (${(err as Error).message}); retry`, {
    status: 502,
    headers: { 'retry-after': '5' },
    detail: { remote: remote.config.name, path },
    cause: err,
  });
}

/** Content already found infected (or unscannable) is refused again without being stored. */
export async function refuseIfRefused(states: Pick<QuarantineStore, 'getState'>, digest: Digest, path: string): Promise<void> {
  const known = await states.getState(digest);
  if (known && (known.state === 'infected' || known.state === 'failed')) throw refusedError(known, `file ${path}`);
}
