// Content discovery: tags, the catalog and referrers, with the spec's `n`/`last` pagination.
import type { Digest } from '../domain/digest.js';
import { RegistryError, nameUnknown } from '../domain/errors.js';
import { mediaTypes } from '../domain/media-types.js';
import type { MetadataStore, Page } from '../ports/metadata-store.js';
import type { ContentGate } from '../quarantine/gate.js';

export interface PageRequest {
  n?: string | undefined;
  last?: string | undefined;
}

export interface PagedNames {
  names: string[];
  /** The `last` to ask for the next page, when there may be one. */
  next?: { n: number; last: string };
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof mediaTypes.ociIndex;
  manifests: ReferrerDescriptor[];
}

export class ListingService {
  constructor(private readonly deps: { metadata: MetadataStore; maxPageSize: number; gate: ContentGate }) {}

  async tags(repository: string, request: PageRequest): Promise<PagedNames> {
    if (!(await this.deps.metadata.repositoryExists(repository))) throw nameUnknown(repository);
    return this.paged(request, (page) => this.deps.metadata.listTags(repository, page));
  }

  async catalog(request: PageRequest): Promise<PagedNames> {
    return this.paged(request, (page) => this.deps.metadata.listRepositories(page));
  }

  async referrers(repository: string, subject: Digest, artifactType?: string): Promise<ReferrersIndex> {
    const all = await this.deps.metadata.listReferrers(repository, subject, artifactType);
    // Referrers not yet released are left out: a listing must not point at unservable content.
    const servable = await this.deps.gate.servable(all.map((r) => r.digest));
    const records = all.filter((r) => servable.has(r.digest));
    return {
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: records.map((r) => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
        ...(r.artifactType ? { artifactType: r.artifactType } : {}),
        ...(r.annotations ? { annotations: r.annotations } : {}),
      })),
    };
  }

  /** Asks for one name more than the page holds, to know whether a next page exists. */
  private async paged(request: PageRequest, list: (page: Page) => Promise<string[]>): Promise<PagedNames> {
    const n = this.pageSize(request.n);
    if (n === 0) return { names: [] };
    const names = await list({ n: n + 1, ...(request.last !== undefined ? { last: request.last } : {}) });
    if (names.length <= n) return { names };
    const page = names.slice(0, n);
    return { names: page, next: { n, last: page[page.length - 1]! } };
  }

  private pageSize(raw: string | undefined): number {
    return parsePageSize(raw, this.deps.maxPageSize);
  }
}

/** The spec's `n`: absent means as many as a page holds; never more than `max`. */
export function parsePageSize(raw: string | undefined, max: number): number {
  if (raw === undefined || raw === '') return max;
  if (!/^\d+$/.test(raw)) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got ${raw}`, { detail: { n: raw } });
  }
  return Math.min(Number(raw), max);
}
