// Manifests of an on_demand mirror: fetched upstream on a miss, tags re-checked once their
// TTL has passed (when each was checked is kept across restarts: UpstreamChecks), every copy verified against its digest before it is stored (with its
// references left to arrive lazily) and admitted to the gate. With the upstream down, a
// tag already here keeps being served.
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { digestBytes, isDigest, parseDigest, type Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { UpstreamCheckStore } from '../ports/upstream-check-store.js';
import type { ManifestService } from '../registry/manifests.js';
import type { OciUpstream } from './oci-upstream.js';
import type { RemoteRoute } from './remote-map.js';
import { SingleFlight } from './single-flight.js';
import { UpstreamChecks } from './upstream-checks.js';

export interface ManifestResolverDeps {
  metadata: MetadataStore;
  /** Stores the verified copy (a ManifestService without remotes, so it never recurses). */
  manifests: ManifestService;
  upstreamOf(remote: string): OciUpstream;
  logger: Logger;
  /** When tags were last found current upstream, across restarts; absent: in memory only. */
  checks?: UpstreamCheckStore;
  now?: () => number;
}

export class RemoteManifestResolver {
  /** When each `repository:tag` was last found current upstream. */
  private readonly checked: UpstreamChecks;
  private readonly flights = new SingleFlight<void>();

  constructor(private readonly deps: ManifestResolverDeps) {
    this.checked = new UpstreamChecks({ kind: 'tag', logger: deps.logger, ...(deps.checks ? { store: deps.checks } : {}), ...(deps.now ? { now: deps.now } : {}) });
  }

  async refresh(repository: string, route: RemoteRoute, reference: string): Promise<void> {
    if (isDigest(reference)) {
      if (await this.deps.metadata.getManifest(repository, reference)) return;
    } else if (await this.checked.fresh(route.remote, `${repository}:${reference}`, route.remote.tagTtlSeconds)) {
      return;
    }
    await this.flights.run(`${repository}@${reference}`, () => this.fetch(repository, route, reference));
  }

  /** The remote changed or went: its tags are checked upstream again on their next request. */
  forgetRemote(name: string): void {
    this.checked.forgetRemote(name);
  }

  private async fetch(repository: string, route: RemoteRoute, reference: string): Promise<void> {
    const cached = isDigest(reference) ? undefined : await this.deps.metadata.resolveTag(repository, reference);
    let fetched;
    try {
      fetched = await this.deps.upstreamOf(route.remote.name).getManifest(route.upstreamRepository, reference);
    } catch (err) {
      if (cached && err instanceof RegistryError && err.code === 'UNAVAILABLE') {
        this.deps.logger.warn({ err, repository, tag: reference, remote: route.remote.name }, 'upstream down: serving the cached tag');
        return;
      }
      throw err;
    }
    const digest = verifiedDigest(route, reference, fetched.bytes, fetched.digest);
    if (cached !== digest) {
      await this.deps.manifests.put(
        { repository, reference, body: Readable.from([fetched.bytes]), contentType: fetched.mediaType },
        { lazyReferences: true },
      );
    }
    if (!isDigest(reference)) await this.checked.record(route.remote, `${repository}:${reference}`);
  }
}

/** The bytes' digest, if they match what was asked for and what the upstream claimed; else 502. */
function verifiedDigest(route: RemoteRoute, reference: string, bytes: Buffer, claimed: string | undefined): Digest {
  const expected = isDigest(reference) ? reference : claimed !== undefined && parseDigest(claimed) ? claimed : undefined;
  const algorithm = expected ? parseDigest(expected)!.algorithm : 'sha256';
  const actual = digestBytes(bytes, algorithm);
  if (expected !== undefined && actual !== expected) {
    throw new RegistryError(
      'UNAVAILABLE',
      `remote ${route.remote.name} sent a manifest for ${route.upstreamRepository}:${reference} that does not match its digest (expected ${expected}, got ${actual}); nothing was stored`,
      { status: 502, detail: { remote: route.remote.name, expected, actual } },
    );
  }
  return algorithm === 'sha256' ? actual : digestBytes(bytes, 'sha256');
}
