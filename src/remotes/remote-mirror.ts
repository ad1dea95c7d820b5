// The RemoteSource the registry consults on a miss: which repositories are mirrors (the
// RemoteMap), and what a read does under the remote's policy (the dispatch). on_demand
// fetches a missing blob and keeps it; streamed fetches for each read and drops the bytes
// after it; immediate serves only what `scangate sync` brought (a miss stays a miss). A tag
// outside the remote's `tags` is unknown under every policy.
import { isDigest, type Digest } from '../domain/digest.js';
import type { BlobInfo } from '../ports/blob-store.js';
import type { BlobLease, RemoteSource } from '../registry/remote-source.js';
import type { RemoteBlobFetcher } from './blob-fetcher.js';
import type { RemoteManifestResolver } from './manifest-resolver.js';
import type { OciUpstream } from './oci-upstream.js';
import type { RemoteMap, RemoteRoute } from './remote-map.js';
import type { StreamedBlobs } from './streamed-blobs.js';

export interface RemoteMirrorDeps {
  map: RemoteMap;
  manifests: RemoteManifestResolver;
  blobs: RemoteBlobFetcher;
  streamed: StreamedBlobs;
  upstreamOf(remote: string): OciUpstream;
  /**
   * Called before the map is read for a repository, with whether the map covers it now: brings
   * the map up to date when it is stale or (throttled) on a miss. Absent: the map never changes
   * behind this process's back.
   */
  refresh?(covered: boolean): Promise<void>;
  /** How long a client's request waits for a download before a 503 with Retry-After (scanning.manifestWaitSeconds). */
  waitMs?: number;
}

export class RemoteMirror implements RemoteSource {
  constructor(private readonly deps: RemoteMirrorDeps) {}

  async mirrors(repository: string): Promise<boolean> {
    await this.deps.refresh?.(this.deps.map.covers(repository));
    return this.deps.map.covers(repository);
  }

  async refreshManifest(repository: string, reference: string): Promise<void> {
    const route = await this.routeOf(repository);
    if (!route) return;
    if (!isDigest(reference)) this.deps.map.checkTag(route, reference);
    if (fetchesOnRequest(route)) await this.deps.manifests.refresh(repository, route, reference);
  }

  async acquireBlob(repository: string, digest: Digest, linked: boolean): Promise<BlobLease | undefined> {
    const route = await this.routeOf(repository);
    if (!route || !fetchesOnRequest(route)) return undefined;
    if (route.remote.policy === 'streamed') return this.deps.streamed.acquire(repository, route, digest);
    if (!linked) await this.deps.blobs.fetch(repository, route, digest, this.deps.waitMs);
    return keptBytes;
  }

  async statBlob(repository: string, digest: Digest): Promise<BlobInfo | undefined> {
    const route = await this.routeOf(repository);
    if (!route || !fetchesOnRequest(route)) return undefined;
    const head = await this.deps.upstreamOf(route.remote.name).headBlob(route.upstreamRepository, digest);
    return head.size === undefined ? undefined : { digest, size: head.size };
  }

  private async routeOf(repository: string): Promise<RemoteRoute | undefined> {
    await this.deps.refresh?.(this.deps.map.covers(repository));
    return this.deps.map.route(repository);
  }
}

/** immediate: only `scangate sync` fetches. */
function fetchesOnRequest(route: RemoteRoute): boolean {
  return route.remote.policy !== 'immediate';
}

/** on_demand keeps what it fetched: nothing to release. */
const keptBytes: BlobLease = { release: async () => {} };
