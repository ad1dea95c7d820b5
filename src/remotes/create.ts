// Assembles the pull-through mirrors from config: one upstream client per remote (its
// password read from its file once, at start), the manifest resolver and the single-flight
// blob fetcher, behind one RemoteSource. No remotes configured: nothing at all.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { RemoteConfig } from '../config/remote-schema.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { ArrivalScans } from '../quarantine/arrival-scans.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import { ManifestService } from '../registry/manifests.js';
import { RemoteBlobFetcher } from './blob-fetcher.js';
import { RemoteManifestResolver } from './manifest-resolver.js';
import { OciUpstream } from './oci-upstream.js';
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
  states: Pick<QuarantineStore, 'getState'>;
  logger: Logger;
  /** Scans downloads as they arrive (absent with no gate). */
  arrivalScans?: ArrivalScans;
}

export interface Remotes {
  source: RemoteMirror;
  fetcher: RemoteBlobFetcher;
  streamed: StreamedBlobs;
  /** `scangate sync`: downloads selected tags ahead of any request. */
  sync: RemoteSync;
  upstreamOf(remote: string): OciUpstream;
  /** Releases the upstream connections. */
  close(): Promise<void>;
}

export async function createRemotes(deps: RemotesDeps): Promise<Remotes | undefined> {
  const { config } = deps;
  if (config.remotes.length === 0) return undefined;
  const upstreams = new Map<string, OciUpstream>();
  for (const remote of config.remotes) upstreams.set(remote.name, await upstreamFor(remote));
  const upstreamOf = (name: string) => upstreams.get(name)!;
  const logger = deps.logger.child({ component: 'remotes' });
  const manifests = new ManifestService({
    blobs: deps.blobs,
    metadata: deps.metadata,
    maxManifestBytes: config.registry.maxManifestBytes,
    gatekeeper: deps.gatekeeper,
  });
  const fetcher = new RemoteBlobFetcher({ ...deps, upstreamOf, logger });
  const streamed = new StreamedBlobs({ ...deps, fetcher, logger });
  const map = new RemoteMap(config.remotes);
  const source = new RemoteMirror({
    map,
    manifests: new RemoteManifestResolver({ metadata: deps.metadata, manifests, upstreamOf, logger }),
    blobs: fetcher,
    streamed,
    upstreamOf,
  });
  for (const remote of config.remotes) logger.info({ remote: remote.name, url: remote.url, policy: remote.policy }, `mirroring ${remote.url} under /v2/${remote.name}/`);
  return {
    source,
    fetcher,
    streamed,
    sync: new RemoteSync({ map, fetcher, manifests, upstreamOf }),
    upstreamOf,
    close: async () => {
      for (const upstream of upstreams.values()) await upstream.close();
    },
  };
}

async function upstreamFor(remote: RemoteConfig): Promise<OciUpstream> {
  const password = remote.passwordFile === undefined ? undefined : await readPassword(remote);
  return new OciUpstream({
    name: remote.name,
    url: remote.url,
    tlsVerify: remote.tlsVerify,
    ...(remote.username !== undefined ? { credentials: { username: remote.username, password: password ?? '' } } : {}),
  });
}

async function readPassword(remote: RemoteConfig): Promise<string> {
  try {
    return (await readFile(remote.passwordFile!, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`remote ${remote.name}: cannot read passwordFile ${remote.passwordFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
