// Manifests: put (validate, check every reference is present, store bytes, record), get
// by tag or digest, delete. Manifest bytes live in the BlobStore under their digest; the
// MetadataStore records which repository holds them and what they reference.
import type { Readable } from 'node:stream';
import { digestBytes, isDigest, parseDigest, type Digest } from '../domain/digest.js';
import { RegistryError, digestInvalid, manifestUnknown } from '../domain/errors.js';
import { parseManifest, type ParsedManifest } from '../domain/manifest.js';
import { isTag } from '../domain/names.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { ManifestRecord, MetadataStore } from '../ports/metadata-store.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import { putBlobBytes } from '../storage/put-bytes.js';
import { readCapped } from './read-capped.js';
import type { RemoteSource } from './remote-source.js';

export interface ManifestServiceDeps {
  blobs: BlobStore;
  metadata: MetadataStore;
  maxManifestBytes: number;
  gatekeeper: Gatekeeper;
  /** Pull-through mirrors: a miss (or a stale tag) is fetched upstream first; absent: no remotes. */
  remote?: RemoteSource;
}

export interface PutOptions {
  /**
   * A pull-through mirror's copy: the references need not be here (they are fetched when
   * asked for, each scanned then), and the PUT waits only for the manifest's own verdict.
   */
  lazyReferences?: boolean;
}

export interface PutManifestRequest {
  repository: string;
  /** The tag or digest from the URL. */
  reference: string;
  body: Readable;
  contentType: string | undefined;
  /** Extra tags (`?tag=` on a PUT by digest, distribution-spec v1.1.1). */
  tags?: string[];
}

export interface PutManifestResult {
  digest: Digest;
  subject: Digest | null;
  /** The tags that now point at the manifest. */
  tags: string[];
  mediaType: string;
  size: number;
}

/** Decides whether the caller may act on the manifest (throws to refuse). */
export type Authorize = (record: ManifestRecord) => Promise<void>;

export interface LocatedManifest {
  record: ManifestRecord;
  /** In a pull-through mirror: its references arrive lazily, each gated when it is fetched. */
  mirrored: boolean;
}

export interface FetchedManifest {
  record: ManifestRecord;
  bytes: Buffer;
}

/** How a DENIED message names a reference: the config, layer N, or a child manifest. */
function referenceLabel(parsed: ParsedManifest, kind: 'blob' | 'manifest', index: number): string {
  if (kind === 'manifest') return 'child manifest';
  return index === 0 && parsed.hasConfig ? 'config' : `layer ${parsed.hasConfig ? index : index + 1}`;
}

export class ManifestService {
  constructor(private readonly deps: ManifestServiceDeps) {}

  async put(request: PutManifestRequest, options: PutOptions = {}): Promise<PutManifestResult> {
    const tags = this.tagsFor(request);
    const bytes = await readCapped(request.body, this.deps.maxManifestBytes, 'manifest');
    const digest = this.digestFor(request.reference, bytes);
    const parsed = parseManifest(bytes, request.contentType);
    if (!options.lazyReferences) await this.checkReferences(request.repository, parsed);
    await putBlobBytes(this.deps.blobs, bytes, digest);
    // The manifest is scanned like any content; the PUT waits for its own verdict and its
    // references' (up to the configured time) and fails if any is infected.
    await this.deps.gatekeeper.admit(request.repository, digest, 'manifest', { mediaType: parsed.mediaType });
    const references = options.lazyReferences ? [] : parsed.references;
    await this.deps.gatekeeper.holdUntilDecided([
      { digest, what: 'manifest' },
      ...references.map((r, i) => ({ digest: r.digest, what: referenceLabel(parsed, r.kind, i) })),
    ]);
    const manifest = {
      repository: request.repository,
      digest,
      mediaType: parsed.mediaType,
      size: bytes.length,
      artifactType: parsed.artifactType,
      subject: parsed.subject,
      annotations: parsed.annotations,
      references: parsed.references,
    };
    if (tags.length === 0) await this.deps.metadata.putManifest(manifest);
    for (const tag of tags) await this.deps.metadata.putManifest(manifest, tag);
    await this.deps.metadata.sync();
    return { digest, subject: parsed.subject, tags, mediaType: parsed.mediaType, size: bytes.length };
  }

  /**
   * The manifest a reference names, if the gate lets it out. `authorize` (the policy, with
   * the artifact in hand) runs first: a caller who may not pull learns nothing of its scan state.
   */
  async resolve(repository: string, reference: string, authorize: Authorize = async () => {}): Promise<ManifestRecord> {
    const { record, mirrored } = await this.locate(repository, reference);
    await authorize(record);
    await this.deps.gatekeeper.checkManifest(repository, record.digest, { lazyReferences: mirrored });
    return record;
  }

  /**
   * The manifest a reference names, a mirror's brought here or refreshed first (`mirrored`:
   * its references arrive lazily); MANIFEST_UNKNOWN when none. Neither policy nor gate: for
   * callers that judge it themselves (the admission webhook), never to serve it.
   */
  async locate(repository: string, reference: string): Promise<LocatedManifest> {
    const remote = this.deps.remote;
    const mirrored = (await remote?.mirrors(repository)) ?? false;
    if (mirrored) await remote!.refreshManifest(repository, reference);
    return { record: await this.find(repository, reference), mirrored };
  }

  async get(repository: string, reference: string, authorize?: Authorize): Promise<FetchedManifest> {
    const record = await this.resolve(repository, reference, authorize);
    const stream = await this.deps.blobs.read(record.digest);
    try {
      return { record, bytes: await readCapped(stream, Math.max(record.size, 1), 'stored manifest') };
    } finally {
      stream.destroy();
    }
  }

  /** DELETE by digest removes the manifest (and its tags); by tag removes only the tag. Resolves to the manifest it named. */
  async delete(repository: string, reference: string, authorize: Authorize = async () => {}): Promise<ManifestRecord> {
    const record = await this.find(repository, reference);
    await authorize(record);
    if (isDigest(reference)) {
      if (!(await this.deps.metadata.deleteManifest(repository, reference))) throw manifestUnknown(reference);
    } else if (!isTag(reference) || !(await this.deps.metadata.deleteTag(repository, reference))) {
      throw manifestUnknown(reference);
    }
    await this.deps.metadata.sync();
    return record;
  }

  /** The manifest a tag or digest names, gate or not; MANIFEST_UNKNOWN when none. */
  private async find(repository: string, reference: string): Promise<ManifestRecord> {
    const digest = isDigest(reference) ? reference : await this.resolveTag(repository, reference);
    const record = await this.deps.metadata.getManifest(repository, digest);
    if (!record) throw manifestUnknown(reference);
    return record;
  }

  /** A reference that can never be a tag names no manifest: 404, not 400 (spec: pull). */
  private async resolveTag(repository: string, tag: string): Promise<Digest> {
    const digest = isTag(tag) ? await this.deps.metadata.resolveTag(repository, tag) : undefined;
    if (!digest) throw manifestUnknown(tag);
    return digest;
  }

  private checkTag(reference: string): void {
    if (reference.includes(':')) throw digestInvalid({ reference, reason: 'malformed or unsupported digest' });
    if (!isTag(reference)) throw new RegistryError('TAG_INVALID', `invalid tag: ${reference}`, { status: 400, detail: { tag: reference } });
  }

  private tagsFor(request: PutManifestRequest): string[] {
    const fromUrl = isDigest(request.reference) ? [] : [request.reference];
    const tags = [...fromUrl, ...(request.tags ?? [])];
    for (const tag of tags) this.checkTag(tag);
    return [...new Set(tags)];
  }

  /** By digest, the bytes must hash to it (with its algorithm); by tag, sha256 is canonical. */
  private digestFor(reference: string, bytes: Buffer): Digest {
    const parsed = parseDigest(reference);
    if (!parsed) return digestBytes(bytes, 'sha256');
    const actual = digestBytes(bytes, parsed.algorithm);
    if (actual !== reference) throw digestInvalid({ expected: reference, actual });
    return actual;
  }

  private async checkReferences(repository: string, parsed: ParsedManifest): Promise<void> {
    for (const ref of parsed.references) {
      const present =
        ref.kind === 'blob'
          ? await this.deps.metadata.getBlob(repository, ref.digest)
          : await this.deps.metadata.getManifest(repository, ref.digest);
      if (!present) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest references ${ref.kind} ${ref.digest}, which is not in ${repository}`, {
          detail: { digest: ref.digest, kind: ref.kind },
        });
      }
    }
  }
}
