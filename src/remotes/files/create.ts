// Assembles the file remotes from config: one upstream client per remote (its password read
// from its file once, at start), the manifest cache, the verified fetcher, the on_demand and
// streamed reads behind one FileRemoteSource, and the sync. No file remotes: nothing at all.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { FileRemoteConfig } from '../../config/remote-schema.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { ArrivalScans } from '../../quarantine/arrival-scans.js';
import type { Gatekeeper } from '../../quarantine/gatekeeper.js';
import { ArrivalAdmissions } from './arrival-admissions.js';
import { DropGuard } from './drop-guard.js';
import { FileFetcher } from './file-fetcher.js';
import { FileMirror } from './file-mirror.js';
import { FileRemoteMap } from './file-remote-map.js';
import { FileRemoteSync } from './file-sync.js';
import { ManifestCache } from './manifest-cache.js';
import { OnDemandFiles } from './on-demand-files.js';
import { StreamedFiles } from './streamed-files.js';

export interface FileRemotesDeps {
  remotes: readonly FileRemoteConfig[];
  /** The blob store, the file entries, the metadata (its sync) and the scan states (what is refused before any download, what a streamed read may drop). */
  services: {
    blobs: BlobStore;
    files: FileStore;
    metadata: Pick<MetadataStore, 'sync'>;
    quarantine: Pick<QuarantineStore, 'getState' | 'repositoriesHolding'>;
  };
  gatekeeper: Gatekeeper;
  logger: Logger;
  /** Scans downloads as they arrive (absent with no gate). */
  arrivalScans?: ArrivalScans;
}

export interface FileRemotes {
  source: FileMirror;
  /** `scangate sync NAME`: every file of the manifest, visible once clean. */
  sync: FileRemoteSync;
  fetcher: FileFetcher;
  streamed: StreamedFiles;
  /** Releases the upstream connections. */
  close(): Promise<void>;
}

export async function createFileRemotes(deps: FileRemotesDeps): Promise<FileRemotes | undefined> {
  if (deps.remotes.length === 0) return undefined;
  const logger = deps.logger.child({ component: 'file-remotes' });
  const map = new FileRemoteMap(await Promise.all(deps.remotes.map(async (config) => ({ config, ...(await passwordOf(config)) }))));
  const { blobs, files, metadata, quarantine: states } = deps.services;
  const sync = () => metadata.sync();
  const guard = new DropGuard();
  const manifests = new ManifestCache({ logger });
  const fetcher = new FileFetcher({ blobs, states, logger, settled: (digest) => guard.settled(digest), ...(deps.arrivalScans ? { arrivalScans: deps.arrivalScans } : {}) });
  const admissions = new ArrivalAdmissions({ gatekeeper: deps.gatekeeper, states, sync, logger });
  const shared = { fetcher, guard, admissions, files, gatekeeper: deps.gatekeeper, states, sync, logger };
  const onDemand = new OnDemandFiles(shared);
  const streamed = new StreamedFiles({ ...shared, blobs });
  for (const { config } of map.remotes) {
    logger.info({ remote: config.name, url: config.url, policy: config.policy, manifest: config.manifest }, `mirroring ${config.url} under /files/${config.name}/-/`);
  }
  return {
    source: new FileMirror({ map, manifests, onDemand, streamed, files, logger }),
    sync: new FileRemoteSync({ ...shared, map, manifests }),
    fetcher,
    streamed,
    close: () => map.close(),
  };
}

async function passwordOf(remote: FileRemoteConfig): Promise<{ password?: string }> {
  if (remote.passwordFile === undefined) return {};
  try {
    return { password: (await readFile(remote.passwordFile, 'utf8')).replace(/\r?\n$/, '') };
  } catch (err) {
    throw new Error(`remote ${remote.name}: cannot read passwordFile ${remote.passwordFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
