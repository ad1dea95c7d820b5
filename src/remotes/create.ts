// Assembles the pull-through mirrors: the catalog of remotes (the config file's, their
// passwords read from their files once, at start, and the admin API's, from the database),
// the manifest resolver and the single-flight blob fetcher, behind one RemoteSource. No
// remotes configured and no database to hold any: nothing at all.
import type { Logger } from 'pino';
import { isOciRemote } from '../config/remote-schema.js';
import type { Config } from '../config/schema.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { RemoteStore } from '../ports/remote-store.js';
import type { ArrivalScans } from '../quarantine/arrival-scans.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import { ManifestService } from '../registry/manifests.js';
import { RemoteBlobFetcher } from './blob-fetcher.js';
import { RemoteManifestResolver } from './manifest-resolver.js';
import type { OciUpstream } from './oci-upstream.js';
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
  gatekeeper: Gatekeeper;
  /** Scan states: what a streamed blob may drop, what is refused before any download. */
  states: Pick<QuarantineStore, 'getState' | 'repositoriesHolding'>;
  logger: Logger;
  /** Scans downloads as they arrive (absent with no gate). */
  arrivalScans?: ArrivalScans;
  /** Remotes made through the admin API (and the API to make them); absent: the config file's only. */
  store?: RemoteStore;
  /** How often the database is re-read (tests shorten it). */
  reload?: Pick<RemoteCatalogOptions, 'reloadIntervalMs' | 'missReloadMs'>;
}

export interface Remotes {
  source: RemoteMirror;
  fetcher: RemoteBlobFetcher;
  streamed: StreamedBlobs;
  /** `scangate sync`: downloads selected tags ahead of any request. */
  sync: RemoteSync;
  /** The live set of remotes; reload() after a change elsewhere. */
  catalog: RemoteCatalog;
  /** The admin API's operations; absent without a store. */
  admin?: RemoteAdmin;
  upstreamOf(remote: string): OciUpstream;
  /** Releases the upstream connections. */
  close(): Promise<void>;
}

export async function createRemotes(deps: RemotesDeps): Promise<Remotes | undefined> {
  // File remotes (kind file) are the file store's: src/remotes/files/create.ts.
  const configured = deps.config.remotes.filter(isOciRemote);
  if (configured.length === 0 && !deps.store) return undefined;
  const logger = deps.logger.child({ component: 'remotes' });
  const map = new RemoteMap([]);
  let resolver: RemoteManifestResolver | undefined;
  const catalog = await RemoteCatalog.open({
    configured,
    ...(deps.store ? { store: deps.store } : {}),
    ...deps.reload,
    map,
    logger,
    onChange: (name) => resolver?.forgetRemote(name),
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
  resolver = new RemoteManifestResolver({ metadata: deps.metadata, manifests, upstreamOf, logger });
  const source = new RemoteMirror({ map, manifests: resolver, blobs: fetcher, streamed, upstreamOf, refresh: catalog.refresh, waitMs });
  return {
    source,
    fetcher,
    streamed,
    sync: new RemoteSync({ map, fetcher, manifests, upstreamOf }),
    catalog,
    ...(deps.store ? { admin: new RemoteAdmin(catalog, deps.store) } : {}),
    upstreamOf,
    close: () => catalog.close(),
  };
}
