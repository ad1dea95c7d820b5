// `immediate` file remotes (and a warm-up for the others): `scangate sync NAME` reads the
// remote's manifest and downloads every file it lists, each verified against the manifest's
// sha256, scanned, and given its entry only once it is clean: a file is never visible before.
// Files already here with the listed digest cost nothing; an infected file is reported as
// refused and gets no entry; entries of files the manifest no longer lists are removed, so the
// repository mirrors the manifest.
import type { Digest } from '../../domain/digest.js';
import { isRegistryError } from '../../domain/errors.js';
import { inParallel, itemFinished, startProgress, type ProgressCallback } from '../sync.js';
import { refuseIfRefused, type Arrival } from './file-fetcher.js';
import type { FileRemote, FileRemoteMap } from './file-remote-map.js';
import type { ManifestCache } from './manifest-cache.js';
import type { ManifestEntry, PulpManifest } from './pulp-manifest.js';
import type { FileRemoteParts } from './parts.js';

export interface SyncedFile {
  path: string;
  /** synced: fetched and clean now; current: already here; refused: infected or unscannable; removed: no longer listed. */
  outcome: 'synced' | 'current' | 'refused' | 'removed' | 'error';
  digest?: Digest;
  /** Why not synced: the gate's or the upstream's message. */
  message?: string;
}

export interface FileRemoteSyncDeps extends FileRemoteParts {
  map: FileRemoteMap;
  manifests: ManifestCache;
  /** Files fetched at once. */
  concurrency?: number;
}

const listPage = 1000;

export class FileRemoteSync {
  constructor(private readonly deps: FileRemoteSyncDeps) {}

  /** Whether a file remote has this name (else `scangate sync` means an OCI remote). */
  has(name: string): boolean {
    return this.deps.map.get(name) !== undefined;
  }

  /** Stops starting files once `signal` is aborted (those under way finish), and throws its reason. */
  async sync(name: string, onProgress: ProgressCallback = () => {}, signal?: AbortSignal): Promise<SyncedFile[]> {
    const remote = this.deps.map.get(name);
    if (!remote) throw new Error(`no file remote is named ${name}`);
    if (remote.config.manifest === undefined) throw noManifest(name);
    const manifest = await this.deps.manifests.fetch(remote);
    const entries = manifest.entries();
    const progress = startProgress(name, entries.length, entries.reduce((sum, e) => sum + e.size, 0));
    onProgress(progress);
    const results: SyncedFile[] = [];
    await inParallel(entries, this.deps.concurrency ?? 3, async (entry) => {
      signal?.throwIfAborted();
      progress.current = `${name}/-/${entry.path}`;
      const result = await this.syncFile(remote, entry);
      results.push(result);
      progress.bytesDone += entry.size;
      itemFinished(progress, result.outcome);
      onProgress(progress);
    });
    results.push(...(await this.removeUnlisted(remote, manifest)));
    return results.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  }

  private async syncFile(remote: FileRemote, entry: ManifestEntry): Promise<SyncedFile> {
    const { path, digest } = entry;
    const repository = remote.config.name;
    try {
      const local = await this.deps.files.get(repository, path);
      if (local?.digest === digest && (await this.deps.gatekeeper.servable([digest])).has(digest)) return { path, outcome: 'current', digest };
      await refuseIfRefused(this.deps.states, digest, path);
      await this.deps.guard.fetching(async () => {
        const arrival = (await this.deps.fetcher.download({ remote, repository, path, expected: entry })) as Arrival;
        await this.keepWhenClean(repository, path, arrival);
      });
      return { path, outcome: 'synced', digest };
    } catch (err) {
      if (!isRegistryError(err)) throw err;
      return { path, outcome: err.code === 'DENIED' ? 'refused' : 'error', digest, message: err.message };
    }
  }

  /** Admits the content and writes its entry once it is clean; throws DENIED when refused, UNAVAILABLE when still pending. */
  private async keepWhenClean(repository: string, path: string, arrival: Arrival): Promise<void> {
    const { digest, size } = arrival.info;
    // Until the entry is written, the claim tells the quarantine whose scanners apply.
    const claim = await this.deps.files.beginUpload(repository, digest);
    try {
      await this.deps.admissions.admitAfterScans(repository, path, arrival);
      await this.deps.gatekeeper.holdUntilDecided([{ digest, what: `file ${path}` }]);
      await this.deps.gatekeeper.checkBlob(digest);
      await this.deps.files.put({ repository, path, digest, size, mediaType: arrival.mediaType });
    } finally {
      await this.deps.files.endUpload(claim);
    }
    await this.deps.sync();
  }

  /** Removes the entries of files the manifest no longer lists. */
  private async removeUnlisted(remote: FileRemote, manifest: PulpManifest): Promise<SyncedFile[]> {
    const repository = remote.config.name;
    const removed: SyncedFile[] = [];
    for (let last: string | undefined; ; ) {
      const page = await this.deps.files.list(repository, { n: listPage, ...(last !== undefined ? { last } : {}) });
      for (const file of page) {
        if (manifest.get(file.path)) continue;
        await this.deps.files.delete(repository, file.path);
        removed.push({ path: file.path, outcome: 'removed', digest: file.digest, message: 'no longer in the manifest' });
      }
      if (page.length < listPage) break;
      last = page[page.length - 1]!.path;
    }
    if (removed.length > 0) await this.deps.sync();
    return removed;
  }
}

/** A file remote without a manifest has no list of files to sync. */
export function noManifest(name: string): Error {
  return new Error(`remote ${name} has no manifest: without one there is no list of files to sync (set remotes[].manifest, e.g. PULP_MANIFEST)`);
}
