// `immediate` content (and a warm-up for any remote): `scangate sync REMOTE` downloads the
// selected tags with everything they reference, each blob through the same verified,
// single-flight, gated fetch as a pull, and only then stores the manifests with their tags
// (children before the index). A tag is set only once its content is all here, and the
// gate serves it only once all of it is clean; an infected image is reported, not tagged, and
// a tag is reported synced only once all of it is clean (the sync's gatekeeper waits longer
// than a client's request). Tags outside the remote's `tags` globs are skipped (named with
// --tag: reported as errors). The tags are listed first, so progress counts items from the start.
import { Readable } from 'node:stream';
import type { Digest } from '../domain/digest.js';
import type { RemoteConfig } from '../config/remote-schema.js';
import { isRegistryError, RegistryError } from '../domain/errors.js';
import { parseManifest } from '../domain/manifest.js';
import type { Gatekeeper, HeldContent } from '../quarantine/gatekeeper.js';
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

/** How far a sync is (OCI and file remotes alike); handed to the progress callback after each step. */
export interface SyncProgress {
  /** Tags (OCI) or files to sync, known once listed. */
  itemsTotal: number;
  /** Items finished, whatever their outcome. */
  itemsDone: number;
  /** Items finished refused or in error. */
  itemsFailed: number;
  bytesDone: number;
  /** Bytes of the items planned so far (an OCI tag's size is known once its manifest is read). */
  bytesTotal: number;
  /** What is being fetched, e.g. `library/alpine:3.20`. */
  current: string;
}

export type ProgressCallback = (progress: SyncProgress) => void;

export function startProgress(current: string, itemsTotal = 0, bytesTotal = 0): SyncProgress {
  return { itemsTotal, itemsDone: 0, itemsFailed: 0, bytesDone: 0, bytesTotal, current };
}

/** An item is finished: counted, and counted failed when it was refused or in error. */
export function itemFinished(progress: SyncProgress, outcome: string): void {
  progress.itemsDone++;
  if (outcome === 'refused' || outcome === 'error') progress.itemsFailed++;
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
  /** Waits for the verdicts of a tag's content before it is reported synced (patientGatekeeper). */
  gatekeeper?: Gatekeeper;
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

  /**
   * Syncs the selection. Throws (naming what is wrong) when there is no such remote or nothing
   * is selected, and when the upstream cannot list a repository's tags; a tag that cannot be
   * synced is a result. Stops between tags once `signal` is aborted.
   */
  async sync(remoteName: string, selection: SyncSelection = {}, onProgress: ProgressCallback = () => {}, signal?: AbortSignal): Promise<SyncedTag[]> {
    const remote = this.deps.map.remotes.find((r) => r.name === remoteName);
    if (!remote) throw new Error(`no remote is named ${remoteName} (configured: ${this.deps.map.remotes.map((r) => r.name).join(', ') || 'none'})`);
    const repositories = syncedRepositories(remote, selection);
    if (repositories.length === 0) throw new Error(`name what to sync with --repository: remote ${remoteName} lists no plain repository names`);
    const upstream = this.deps.upstreamOf(remoteName);
    const items: { repository: string; route: RemoteRoute; tag: string }[] = [];
    for (const name of repositories) {
      const repository = `${remoteName}/${name}`;
      const route = this.deps.map.route(repository)!;
      const tags = selection.tags ?? (await upstream.listTags(route.upstreamRepository)).filter((tag) => this.deps.map.mirrorsTag(route, tag));
      items.push(...tags.map((tag) => ({ repository, route, tag })));
    }
    const progress = startProgress(remoteName, items.length);
    onProgress(progress);
    const results: SyncedTag[] = [];
    for (const { repository, route, tag } of items) {
      signal?.throwIfAborted();
      const result = await this.syncTag(repository, route, tag, progress, onProgress);
      itemFinished(progress, result.outcome);
      onProgress(progress);
      results.push(result);
    }
    return results;
  }

  private async syncTag(repository: string, route: RemoteRoute, tag: string, progress: SyncProgress, onProgress: ProgressCallback): Promise<SyncedTag> {
    const result = { repository, tag };
    try {
      this.deps.map.checkTag(route, tag);
      const plan = await this.plan(route, tag);
      const blobs = uniqueBlobs(plan);
      progress.current = `${route.upstreamRepository}:${tag}`;
      progress.bytesTotal += blobs.reduce((sum, b) => sum + b.size, 0);
      onProgress(progress);
      await inParallel(blobs, this.deps.concurrency ?? 3, async (blob) => {
        await this.deps.fetcher.fetch(repository, route, blob.digest);
        progress.bytesDone += blob.size;
        onProgress(progress);
      });
      const stored: Digest[] = [];
      const digest = await this.store(repository, plan, stored, tag);
      await this.awaitClean(route, tag, [...blobs.map((b) => ({ digest: b.digest, what: 'blob' })), ...stored.map((digest) => ({ digest, what: 'manifest' }))]);
      return { ...result, outcome: 'synced', digest };
    } catch (err) {
      if (!isRegistryError(err)) throw err;
      return { ...result, outcome: err.code === 'DENIED' ? 'refused' : 'error', message: err.message };
    }
  }

  /** Waits for the verdicts of everything the tag names: DENIED when one is refused, UNAVAILABLE when still pending. */
  private async awaitClean(route: RemoteRoute, tag: string, items: HeldContent[]): Promise<void> {
    const gatekeeper = this.deps.gatekeeper;
    if (!gatekeeper) return;
    await gatekeeper.holdUntilDecided(items);
    const digests = items.map((item) => item.digest);
    const servable = await gatekeeper.servable(digests);
    const pending = digests.filter((digest) => !servable.has(digest));
    if (pending.length === 0) return;
    throw new RegistryError('UNAVAILABLE', `${route.upstreamRepository}:${tag} is stored and tagged but ${pending.length} of its parts are still being scanned; it is served once clean`, {
      status: 503,
      detail: { pending },
    });
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

  /** Children first (by digest), then the manifest under its tag: each PUT checks its references are here. Each digest stored joins `stored`. */
  private async store(repository: string, plan: PlannedManifest, stored: Digest[], tag?: string): Promise<Digest> {
    for (const child of plan.children) await this.store(repository, child, stored);
    const result = await this.deps.manifests.put({
      repository,
      reference: tag ?? plan.reference,
      body: Readable.from([plan.fetched.bytes]),
      contentType: plan.fetched.mediaType,
    });
    stored.push(result.digest);
    return result.digest;
  }
}

/** The upstream repositories a sync covers: those named, else the remote's plain (glob-free) `repositories`. */
export function syncedRepositories(remote: Pick<RemoteConfig, 'repositories'>, selection: SyncSelection): string[] {
  return selection.repositories ?? (remote.repositories ?? []).filter((r) => !r.includes('*'));
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
