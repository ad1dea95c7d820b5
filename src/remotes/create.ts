// Assembles the pull-through mirrors, OCI and file: the catalog of remotes (the config file's,
// their passwords and TLS files read once, at start, and the admin API's, from the database),
// the manifest resolver and the single-flight blob fetcher behind one RemoteSource, the file
// remotes behind one FileRemoteSource, and the syncs. No remotes configured and no database to
// hold any: nothing at all.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { FileStore } from '../ports/file-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { RemoteStore } from '../ports/remote-store.js';
import type { RemoteSyncStore } from '../ports/remote-sync-store.js';
import type { UpstreamCheckStore } from '../ports/upstream-check-store.js';
import { ArrivalScans } from '../quarantine/arrival-scans.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import type { ScanGate } from '../quarantine/runtime.js';
import { ManifestService } from '../registry/manifests.js';
import { RemoteBlobFetcher } from './blob-fetcher.js';
import { assembleFileRemotes, type FileRemotes } from './files/create.js';
import { FileRemoteMap } from './files/file-remote-map.js';
import { RemoteManifestResolver } from './manifest-resolver.js';
import type { OciUpstream } from './oci-upstream.js';
import { patientGatekeeper } from './patient-gatekeeper.js';
import { RemoteAdmin } from './remote-admin.js';
import { RemoteCatalog, type RemoteCatalogOptions } from './remote-catalog.js';
import { RemoteMap } from './remote-map.js';
import { RemoteMirror } from './remote-mirror.js';
import { StreamedBlobs } from './streamed-blobs.js';
import { RemoteSync } from './sync.js';

export interface RemotesDeps {
  config: Config;
  blobs: BlobStore;
  metadata: MetadataStore;
  /** The file store's entries (what file remotes keep). */
  files: FileStore;
  gatekeeper: Gatekeeper;
  /** Scan states: what a streamed blob may drop, what is refused before any download. */
  states: Pick<QuarantineStore, 'getState' | 'repositoriesHolding'>;
  logger: Logger;
  /** Scans downloads as they arrive (absent with no gate). */
  arrivalScans?: ArrivalScans;
  /** Remotes made through the admin API (and the API to make them); absent: the config file's only. */
  store?: RemoteStore;
  /** When tags and files were last checked upstream, across restarts; absent: in memory only. */
  checks?: UpstreamCheckStore;
  /** Syncs asked for through the admin API (a deleted remote's unfinished one is failed). */
  syncs?: RemoteSyncStore;
  /** How often the database is re-read (tests shorten it). */
  reload?: Pick<RemoteCatalogOptions, 'reloadIntervalMs' | 'missReloadMs'>;
  /** How long a sync waits for the verdicts of what it brought (default 600 s). */
  syncWaitMs?: number;
}

export interface Remotes {
  source: RemoteMirror;
  fetcher: RemoteBlobFetcher;
  streamed: StreamedBlobs;
  /** `scangate sync` of an OCI remote: downloads selected tags ahead of any request. */
  sync: RemoteSync;
  /** The file remotes (`/files/NAME/-/`), their sync among them. */
  files: FileRemotes;
  /** The live set of remotes; reload() after a change elsewhere. */
  catalog: RemoteCatalog;
  /** The admin API's operations; absent without a store. */
  admin?: RemoteAdmin;
  upstreamOf(remote: string): OciUpstream;
  /** Releases the upstream connections. */
  close(): Promise<void>;
}

/** The stores of a composed process that the remotes use. */
export interface RemoteServices {
  blobs: BlobStore;
  metadata: MetadataStore;
  files: FileStore;
  quarantine: QuarantineStore;
  remotes: RemoteStore;
  upstreamChecks: UpstreamCheckStore;
  remoteSyncs: RemoteSyncStore;
}

/**
 * The deps of createRemotes in a process (serve, worker, sync): its stores, remotes of the
 * config file and of the database, downloads scanned as they arrive when the gate is on.
 */
export function remotesDepsOf(
  config: Config,
  services: RemoteServices,
  gate: Pick<ScanGate, 'enabled' | 'gatekeeper' | 'scanners'>,
  options: { logger: Logger; gatekeeper?: Gatekeeper; arrivalScans?: ArrivalScans } & Pick<RemotesDeps, 'reload' | 'syncWaitMs'>,
): RemotesDeps {
  const { logger, gatekeeper, arrivalScans, ...rest } = options;
  const scans = arrivalScans ?? (gate.enabled ? new ArrivalScans({ scanners: gate.scanners, store: services.quarantine, logger, limit: config.scanning.concurrency }) : undefined);
  return {
    config,
    blobs: services.blobs,
    metadata: services.metadata,
    files: services.files,
    gatekeeper: gatekeeper ?? gate.gatekeeper,
    states: services.quarantine,
    logger,
    store: services.remotes,
    checks: services.upstreamChecks,
    syncs: services.remoteSyncs,
    ...(scans ? { arrivalScans: scans } : {}),
    ...rest,
  };
}

/** How long a sync waits by default for the verdicts of what it brought. */
export const defaultSyncWaitMs = 600_000;

export async function createRemotes(deps: RemotesDeps): Promise<Remotes | undefined> {
  const configured = deps.config.remotes;
  if (configured.length === 0 && !deps.store) return undefined;
  const logger = deps.logger.child({ component: 'remotes' });
  const map = new RemoteMap([]);
  const fileMap = new FileRemoteMap();
  let resolver: RemoteManifestResolver | undefined;
  let files: FileRemotes | undefined;
  const catalog = await RemoteCatalog.open({
    configured,
    ...(deps.store ? { store: deps.store } : {}),
    ...deps.reload,
    map,
    fileMap,
    logger,
    onChange: (name) => {
      resolver?.forgetRemote(name);
      files?.forgetRemote(name);
    },
  });
  const { upstreamOf } = catalog;
  const manifests = new ManifestService({
    blobs: deps.blobs,
    metadata: deps.metadata,
    maxManifestBytes: deps.config.registry.maxManifestBytes,
    gatekeeper: deps.gatekeeper,
  });
  const fetcher = new RemoteBlobFetcher({ ...deps, upstreamOf, logger });
  const waitMs = deps.config.scanning.manifestWaitSeconds * 1000;
  const streamed = new StreamedBlobs({ ...deps, fetcher, logger, waitMs });
  resolver = new RemoteManifestResolver({ metadata: deps.metadata, manifests, upstreamOf, logger, ...(deps.checks ? { checks: deps.checks } : {}) });
  const source = new RemoteMirror({ map, manifests: resolver, blobs: fetcher, streamed, upstreamOf, refresh: catalog.refresh, waitMs });
  // A sync waits for its verdicts longer than a client's request does (the fetches are shared).
  const syncGatekeeper = patientGatekeeper(deps.gatekeeper, deps.syncWaitMs ?? defaultSyncWaitMs);
  files = assembleFileRemotes({
    map: fileMap,
    services: { blobs: deps.blobs, files: deps.files, metadata: deps.metadata, quarantine: deps.states },
    gatekeeper: deps.gatekeeper,
    syncGatekeeper,
    logger,
    refresh: catalog.refresh,
    ...(deps.arrivalScans ? { arrivalScans: deps.arrivalScans } : {}),
    ...(deps.checks ? { checks: deps.checks } : {}),
  });
  return {
    source,
    fetcher,
    streamed,
    sync: new RemoteSync({ map, fetcher, manifests, upstreamOf, gatekeeper: syncGatekeeper }),
    files,
    catalog,
    ...(deps.store ? { admin: new RemoteAdmin(catalog, deps.store, { ...(deps.checks ? { checks: deps.checks } : {}), ...(deps.syncs ? { syncs: deps.syncs } : {}) }) } : {}),
    upstreamOf,
    close: () => catalog.close(),
  };
}
