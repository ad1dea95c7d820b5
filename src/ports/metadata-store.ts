// MetadataStore: what the registry knows about its content (repositories, blob links,
// manifests, tags, referrers, upload sessions). Bytes live in the BlobStore; this holds
// only what can be queried. Adapters: SQL on Kysely, with SQLite (default, embedded) and
// PostgreSQL dialects. Every adapter runs src/metadata/metadata-store.suite.ts.
import type { Digest } from '../domain/digest.js';
import type { ScanScope } from '../domain/scan-scope.js';

export interface BlobLink {
  digest: Digest;
  size: number;
}

export interface UploadSession {
  id: string;
  repository: string;
  createdAt: Date;
}

export interface ManifestRecord {
  repository: string;
  digest: Digest;
  mediaType: string;
  size: number;
  /** artifactType, or the config's media type for image manifests without one (for referrers). */
  artifactType: string | null;
  /** The digest named by the manifest's `subject`, if any. */
  subject: Digest | null;
  annotations: Record<string, string> | null;
  createdAt: Date;
}

/** What a manifest points at: its config and layers (blobs) or, for an index, child manifests. */
export interface ManifestReference {
  digest: Digest;
  kind: 'blob' | 'manifest';
}

export interface NewManifest extends Omit<ManifestRecord, 'createdAt'> {
  references: ManifestReference[];
}

/** Pagination as in the spec's `n` and `last`: up to `n` names sorted after `last` (byte order). */
export interface Page {
  n?: number;
  last?: string;
}

/** Where a walk in (repository, digest) order resumes: after this manifest. */
export interface ManifestKey {
  repository: string;
  digest: Digest;
}

export interface MetadataStore {
  /** Brings the schema up to date (idempotent; safe with several processes starting at once). */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer (for /readyz). */
  ping(): Promise<void>;
  /**
   * Makes every write this process has committed so far durable, before it is acknowledged
   * to a client. Cheap to call often: callers waiting at the same moment share one flush.
   */
  sync(): Promise<void>;
  close(): Promise<void>;

  // Blobs, linked per repository: a blob is visible in a repository only once linked there.
  linkBlob(repository: string, blob: BlobLink): Promise<void>;
  getBlob(repository: string, digest: Digest): Promise<BlobLink | undefined>;
  /** Whether a blob is known in any repository (or as manifest content): its size if so. */
  findBlob(digest: Digest): Promise<BlobLink | undefined>;
  unlinkBlob(repository: string, digest: Digest): Promise<boolean>;

  // Upload sessions (bytes are staged in the BlobStore under the same id).
  createUpload(session: { id: string; repository: string }): Promise<void>;
  getUpload(id: string): Promise<UploadSession | undefined>;
  deleteUpload(id: string): Promise<void>;

  // Manifests and tags. putManifest stores the manifest, its references and (optionally) the
  // tag in one transaction; putting the same digest again updates nothing but the tag.
  putManifest(manifest: NewManifest, tag?: string): Promise<void>;
  getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined>;
  getManifestReferences(repository: string, digest: Digest): Promise<ManifestReference[]>;
  /**
   * The manifests of `repository` that reference any of `digests` (as a blob or a child
   * manifest), one entry per (manifest, referenced digest), in one query: the policy asks
   * which artifacts a blob or a child manifest is pulled through.
   */
  referencingManifests(repository: string, digests: readonly Digest[]): Promise<{ referenced: Digest; manifest: ManifestRecord }[]>;
  /** Deletes the manifest, its references and every tag pointing at it. */
  deleteManifest(repository: string, digest: Digest): Promise<boolean>;
  resolveTag(repository: string, tag: string): Promise<Digest | undefined>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  listTags(repository: string, page?: Page): Promise<string[]>;
  /** Manifests whose subject is `subject`, optionally only those of one artifactType. */
  listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]>;

  // Repositories: a repository exists once something (blob link, manifest) was put in it.
  repositoryExists(repository: string): Promise<boolean>;
  listRepositories(page?: Page): Promise<string[]>;

  // Images to scan (domain/scan-scope.ts says which manifests are images), for scan campaigns.
  /** Up to `limit` images in the scope stored after `after`, in (repository, digest) byte order. */
  listImages(scope: ScanScope, options: { after?: ManifestKey; limit: number }): Promise<ManifestRecord[]>;
  /**
   * How many distinct image digests the scope holds: an estimate for a namespace, where every
   * repository under its name counts (a longer configured namespace's too).
   */
  countImageDigests(scope: ScanScope): Promise<number>;

  // Whole-store walks for fsck and garbage collection.
  allBlobs(): AsyncIterable<BlobLink & { repository: string }>;
  allManifests(): AsyncIterable<ManifestRecord>;
}
