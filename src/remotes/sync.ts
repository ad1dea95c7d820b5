// `immediate` content (and a warm-up for any remote): `scangate sync REMOTE` downloads the
// selected tags with everything they reference, each blob through the same verified,
// single-flight, gated fetch as a pull, and only then stores the manifests with their tags
// (children before the index). A tag is set only once its content is all here, and the
// gate serves it only once all of it is clean; an infected image is reported, not tagged.
// Tags outside the remote's `tags` globs are skipped (named with --tag: reported as errors).
import { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.js';
import { isRegistryError } from '../domain/errors.js';
import { parseManifest } from '../domain/manifest.js';
import type { ManifestService } from '../registry/manifests.js';
import type { RemoteBlobFetcher } from './blob-fetcher.js';
import type { OciUpstream, UpstreamManifest } from './oci-upstream.js';
import type { RemoteMap, RemoteRoute } from './remote-map.js';

export interface SyncSelection {
  /** Upstream repositories; default: the remote's `repositories` that are plain names (no globs). */
  repositories?: string[];
  /** Tags; default: every tag upstream within the remote's `tags`. */
  tags?: string[];
}

export interface SyncProgress {
  bytesDone: number;
  bytesTotal: number;
  /** What is being fetched, e.g. `library/alpine:3.20`. */
  current: string;
}

export interface SyncedTag {
  repository: string;
  tag: string;
  outcome: 'synced' | 'refused' | 'error';
  digest?: Digest;
  /** Why not synced: the gate's or the upstream's message. */
  message?: string;
}

export interface RemoteSyncDeps {
  map: RemoteMap;
  fetcher: RemoteBlobFetcher;
  /** Stores manifests with their references checked (a ManifestService without remotes). */
  manifests: ManifestService;
  upstreamOf(remote: string): OciUpstream;
  /** Blobs fetched at once. */
  concurrency?: number;
}

/** A manifest fetched upstream, with what it references. */
interface PlannedManifest {
  reference: string;
  fetched: UpstreamManifest;
  blobs: { digest: Digest; size: number }[];
  children: PlannedManifest[];
}

export class RemoteSync {
  constructor(private readonly deps: RemoteSyncDeps) {}

  async sync(remoteName: string, selection: SyncSelection = {}, onProgress: (p: SyncProgress) => void = () => {}): Promise<SyncedTag[]> {
    const remote = this.deps.map.remotes.find((r) => r.name === remoteName);
    if (!remote) throw new Error(`no remote is named ${remoteName} (configured: ${this.deps.map.remotes.map((r) => r.name).join(', ') || 'none'})`);
    const repositories = selection.repositories ?? (remote.repositories ?? []).filter((r) => !r.includes('*'));
    if (repositories.length === 0) throw new Error(`name what to sync with --repository: remote ${remoteName} lists no plain repository names`);
    const upstream = this.deps.upstreamOf(remoteName);
    const results: SyncedTag[] = [];
    for (const name of repositories) {
      const repository = `${remoteName}/${name}`;
      const route = this.deps.map.route(repository)!;
      const tags = selection.tags ?? (await upstream.listTags(route.upstreamRepository)).filter((tag) => this.deps.map.mirrorsTag(route, tag));
      for (const tag of tags) results.push(await this.syncTag(repository, route, tag, onProgress));
    }
    return results;
  }

  private async syncTag(repository: string, route: RemoteRoute, tag: string, onProgress: (p: SyncProgress) => void): Promise<SyncedTag> {
    const result = { repository, tag };
    try {
      this.deps.map.checkTag(route, tag);
      const plan = await this.plan(route, tag);
      const blobs = uniqueBlobs(plan);
      const progress = { bytesDone: 0, bytesTotal: blobs.reduce((sum, b) => sum + b.size, 0), current: `${route.upstreamRepository}:${tag}` };
      onProgress(progress);
      await inParallel(blobs, this.deps.concurrency ?? 3, async (blob) => {
        await this.deps.fetcher.fetch(repository, route, blob.digest);
        progress.bytesDone += blob.size;
        onProgress(progress);
      });
      const digest = await this.store(repository, plan, tag);
      return { ...result, outcome: 'synced', digest };
    } catch (err) {
      if (!isRegistryError(err)) throw err;
      return { ...result, outcome: err.code === 'DENIED' ? 'refused' : 'error', message: err.message };
    }
  }

  /** The manifest and, for an index, its children, fetched upstream (nothing stored yet). */
  private async plan(route: RemoteRoute, reference: string, depth = 0): Promise<PlannedManifest> {
    const fetched = await this.deps.upstreamOf(route.remote.name).getManifest(route.upstreamRepository, reference);
    const parsed = parseManifest(fetched.bytes, fetched.mediaType);
    const sizes = descriptorSizes(fetched.bytes);
    const blobs = parsed.references.filter((r) => r.kind === 'blob').map((r) => ({ digest: r.digest, size: sizes.get(r.digest) ?? 0 }));
    const children: PlannedManifest[] = [];
    if (depth < 2) {
      for (const child of parsed.references.filter((r) => r.kind === 'manifest')) children.push(await this.plan(route, child.digest, depth + 1));
    }
    return { reference, fetched, blobs, children };
  }

  /** Children first (by digest), then the manifest under its tag: each PUT checks its references are here. */
  private async store(repository: string, plan: PlannedManifest, tag?: string): Promise<Digest> {
    for (const child of plan.children) await this.store(repository, child);
    const result = await this.deps.manifests.put({
      repository,
      reference: tag ?? plan.reference,
      body: Readable.from([plan.fetched.bytes]),
      contentType: plan.fetched.mediaType,
    });
    return result.digest;
  }
}

function uniqueBlobs(plan: PlannedManifest): { digest: Digest; size: number }[] {
  const all = new Map<Digest, number>();
  const visit = (p: PlannedManifest) => {
    for (const blob of p.blobs) all.set(blob.digest, blob.size);
    p.children.forEach(visit);
  };
  visit(plan);
  return [...all].map(([digest, size]) => ({ digest, size }));
}

/** Descriptor digest -> size, from a manifest's config, layers, blobs and manifests. */
function descriptorSizes(bytes: Buffer): Map<string, number> {
  const sizes = new Map<string, number>();
  const json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  const descriptors = [json.config, ...[json.layers, json.blobs, json.manifests].flatMap((list) => (Array.isArray(list) ? list : []))];
  for (const d of descriptors) {
    const { digest, size } = (d ?? {}) as { digest?: unknown; size?: unknown };
    if (typeof digest === 'string' && typeof size === 'number') sizes.set(digest, size);
  }
  return sizes;
}

/** Runs `task` over the items, at most `limit` at once. */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
