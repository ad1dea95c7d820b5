// Assembles the file remotes' side of the remotes (src/remotes/create.ts builds the catalog
// that fills the map and owns the upstream clients): the manifest cache, the verified fetcher,
// the on_demand and streamed reads behind one FileRemoteSource, and the sync.
import type { Logger } from 'pino';
import type { BlobStore } from '../../ports/blob-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { UpstreamCheckStore } from '../../ports/upstream-check-store.js';
import type { ArrivalScans } from '../../quarantine/arrival-scans.js';
import type { Gatekeeper } from '../../quarantine/gatekeeper.js';
import { ArrivalAdmissions } from './arrival-admissions.js';
import { DropGuard } from './drop-guard.js';
import { FileFetcher } from './file-fetcher.js';
import { FileMirror } from './file-mirror.js';
import type { FileRemoteMap } from './file-remote-map.js';
import { FileRemoteSync } from './file-sync.js';
import { ManifestCache } from './manifest-cache.js';
import { OnDemandFiles } from './on-demand-files.js';
import { StreamedFiles } from './streamed-files.js';

export interface FileRemotesDeps {
  /** The file remotes, kept current by the catalog. */
  map: FileRemoteMap;
  /** The blob store, the file entries, the metadata (its sync) and the scan states (what is refused before any download, what a streamed read may drop). */
  services: {
    blobs: BlobStore;
    files: FileStore;
    metadata: Pick<MetadataStore, 'sync'>;
    quarantine: Pick<QuarantineStore, 'getState' | 'repositoriesHolding'>;
  };
  gatekeeper: Gatekeeper;
  /** The sync's gate: waits for verdicts longer than a client's request does (absent: `gatekeeper`). */
  syncGatekeeper?: Gatekeeper;
  logger: Logger;
  /** Scans downloads as they arrive (absent with no gate). */
  arrivalScans?: ArrivalScans;
  /** When files were last re-validated upstream, kept across restarts (absent: in memory only). */
  checks?: UpstreamCheckStore;
  /** Brings the map up to date before a repository is looked up (see RemoteMirror). */
  refresh?(covered: boolean): Promise<void>;
}

export interface FileRemotes {
  source: FileMirror;
  /** `scangate sync NAME`: every file of the manifest, visible once clean. */
  sync: FileRemoteSync;
  fetcher: FileFetcher;
  streamed: StreamedFiles;
  /** The remote changed or went: its manifest is read again, its files re-validated. */
  forgetRemote(name: string): void;
}

export function assembleFileRemotes(deps: FileRemotesDeps): FileRemotes {
  const logger = deps.logger.child({ component: 'file-remotes' });
  const { map } = deps;
  const { blobs, files, metadata, quarantine: states } = deps.services;
  const sync = () => metadata.sync();
  const guard = new DropGuard();
  const manifests = new ManifestCache({ logger });
  const fetcher = new FileFetcher({ blobs, states, logger, settled: (digest) => guard.settled(digest), ...(deps.arrivalScans ? { arrivalScans: deps.arrivalScans } : {}) });
  const admissions = new ArrivalAdmissions({ gatekeeper: deps.gatekeeper, states, sync, logger });
  const shared = { fetcher, guard, admissions, files, gatekeeper: deps.gatekeeper, states, sync, logger };
  const onDemand = new OnDemandFiles({ ...shared, ...(deps.checks ? { checks: deps.checks } : {}) });
  const streamed = new StreamedFiles({ ...shared, blobs });
  return {
    source: new FileMirror({ map, manifests, onDemand, streamed, files, logger, ...(deps.refresh ? { refresh: deps.refresh } : {}) }),
    sync: new FileRemoteSync({ ...shared, gatekeeper: deps.syncGatekeeper ?? deps.gatekeeper, map, manifests }),
    fetcher,
    streamed,
    forgetRemote(name) {
      manifests.forget(name);
      onDemand.forgetRemote(name);
    },
  };
}
