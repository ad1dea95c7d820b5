// The FileRemoteSource the file store consults for a repository that is a file remote: what a
// read does under the remote's policy. on_demand fetches a missing (or stale) file and keeps
// it; streamed fetches it for each read and drops the bytes after; immediate serves only what
// `scangate sync` brought. With a manifest, a path it does not list is unknown without asking
// the upstream, and the digest it lists is the one the bytes must have; with the upstream down
// a file already kept keeps being served.
import type { Logger } from 'pino';
import { RegistryError } from '../../domain/errors.js';
import type { FilePage, FileRecord, FileStore } from '../../ports/file-store.js';
import type { FileLease, FileRemoteSource, UpstreamFile } from '../../registry/file-remote-source.js';
import type { FileRemote, FileRemoteMap } from './file-remote-map.js';
import { isUpstreamDown, type ManifestCache } from './manifest-cache.js';
import type { OnDemandFiles } from './on-demand-files.js';
import type { ManifestEntry, PulpManifest } from './pulp-manifest.js';
import type { StreamedFiles } from './streamed-files.js';

export interface FileMirrorDeps {
  map: FileRemoteMap;
  manifests: ManifestCache;
  onDemand: OnDemandFiles;
  streamed: StreamedFiles;
  files: Pick<FileStore, 'get'>;
  logger: Logger;
  /**
   * Called before the map is read for a repository, with whether the map covers it now: brings
   * the map up to date when it is stale or (throttled) on a miss (RemoteCatalog.refresh).
   */
  refresh?(covered: boolean): Promise<void>;
}

export class FileMirror implements FileRemoteSource {
  constructor(private readonly deps: FileMirrorDeps) {}

  async mirrors(repository: string): Promise<boolean> {
    await this.deps.refresh?.(this.deps.map.covers(repository));
    return this.deps.map.covers(repository);
  }

  async acquire(repository: string, path: string): Promise<FileLease> {
    const remote = this.deps.map.route(repository);
    if (remote.config.policy === 'immediate') return kept(await this.synced(remote, path));
    let expected: ManifestEntry | undefined;
    if (remote.config.manifest !== undefined) {
      let manifest: PulpManifest;
      try {
        manifest = await this.deps.manifests.current(remote);
      } catch (err) {
        return kept(await this.cachedWhileDown(err, repository, path));
      }
      expected = manifest.get(path);
      if (!expected) throw notListed(remote, path);
    }
    if (remote.config.policy === 'streamed') return this.deps.streamed.acquire(remote, path, expected);
    return kept(await this.deps.onDemand.fetch(remote, path, expected));
  }

  async list(repository: string, page: FilePage): Promise<UpstreamFile[] | undefined> {
    const remote = this.deps.map.route(repository);
    if (remote.config.policy === 'immediate' || remote.config.manifest === undefined) return undefined;
    let manifest;
    try {
      manifest = await this.deps.manifests.current(remote);
    } catch (err) {
      if (!isUpstreamDown(err)) throw err;
      this.deps.logger.warn({ err, remote: repository }, 'manifest unreadable, upstream down: listing the files kept');
      return undefined;
    }
    return Promise.all(
      manifest.page(page).map(async (entry) => {
        const stored = await this.deps.files.get(repository, entry.path);
        return stored?.digest === entry.digest ? { ...entry, stored } : { ...entry };
      }),
    );
  }

  /** The file kept here when the manifest cannot be read because the upstream is down; else the error. */
  private async cachedWhileDown(err: unknown, repository: string, path: string): Promise<FileRecord> {
    const cached = isUpstreamDown(err) ? await this.deps.files.get(repository, path) : undefined;
    if (!cached) throw err;
    this.deps.logger.warn({ err, remote: repository, path }, 'manifest unreadable, upstream down: serving the cached file');
    return cached;
  }

  /** immediate: only what a sync brought. */
  private async synced(remote: FileRemote, path: string): Promise<FileRecord> {
    const file = await this.deps.files.get(remote.config.name, path);
    if (file) return file;
    throw new RegistryError('FILE_UNKNOWN', `${path} has not been synced from remote ${remote.config.name} (policy immediate: \`scangate sync ${remote.config.name}\` brings its files)`, {
      detail: { repository: remote.config.name, path },
    });
  }
}

function notListed(remote: FileRemote, path: string): RegistryError {
  return new RegistryError('FILE_UNKNOWN', `${path} is not in the manifest of remote ${remote.config.name}`, {
    detail: { repository: remote.config.name, path, remote: remote.config.name },
  });
}

/** A kept file: nothing to release after the read. */
function kept(file: FileRecord): FileLease {
  return { file, release: async () => {} };
}
