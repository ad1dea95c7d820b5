// fsck: reconciles the blob store and the metadata store, over the ports only, so it works
// the same on every adapter. It re-hashes every stored blob (bit rot, a file edited behind
// the registry's back), then checks that everything the database promises is there: every
// blob link, manifest and file entry has its bytes, every manifest and file hashes to its
// digest, and every reference a manifest records exists in its repository. It repairs
// nothing: it reports. A file's bytes are referenced by its entry, as a layer's are by its
// link: they are not garbage.
// In a pull-through mirror's namespace references arrive lazily (a blob is fetched when a
// client first asks for it, a streamed one is dropped after the read), so a reference not
// linked there is no fault; one that is linked but has no bytes still is.
import { digestOf, newHash, parseDigest, type Digest } from '../domain/digest.js';
import type { BlobInfo, BlobStore } from '../ports/blob-store.js';
import type { FileRecord, FileStore } from '../ports/file-store.js';
import type { ManifestRecord, MetadataStore } from '../ports/metadata-store.js';

export type FaultKind =
  | 'blob-corrupt' // stored bytes do not hash to their digest
  | 'blob-unreadable' // stored, but reading it failed
  | 'blob-missing' // linked in a repository, no bytes in the store
  | 'blob-size-mismatch' // linked with one size, stored with another
  | 'manifest-missing' // recorded, no bytes in the store
  | 'manifest-corrupt' // its bytes do not hash to its digest
  | 'manifest-size-mismatch'
  | 'file-missing' // a file entry whose bytes are not in the store
  | 'file-corrupt' // a file entry whose bytes do not hash to its digest
  | 'file-size-mismatch' // a file entry recorded with one size, stored with another
  | 'reference-missing'; // a manifest points at a blob or manifest its repository lacks

export interface Fault {
  kind: FaultKind;
  digest: Digest;
  repository?: string;
  /** The file entry's path, for `file-*` faults. */
  path?: string;
  message: string;
}

export interface FsckProgress {
  blobsDone: number;
  blobsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface FsckOptions {
  /** Called as bytes are re-hashed (often: throttle before drawing). */
  onProgress?: (progress: FsckProgress) => void;
  signal?: AbortSignal;
  /** Namespaces of pull-through mirrors (remote names): their manifests' references arrive lazily. */
  mirrorNamespaces?: readonly string[];
}

export interface FsckReport {
  faults: Fault[];
  blobsChecked: number;
  bytesChecked: number;
  blobLinksChecked: number;
  manifestsChecked: number;
  filesChecked: number;
  /** Stored blobs no repository links, records as a manifest or names in a file entry (garbage, not a fault). */
  unreferencedBlobs: number;
}

export interface FsckPorts {
  blobs: BlobStore;
  metadata: MetadataStore;
  /** The file store's entries; absent: none are checked (and their bytes count as unreferenced). */
  files?: Pick<FileStore, 'allFiles'>;
}

export async function fsck(ports: FsckPorts, options: FsckOptions = {}): Promise<FsckReport> {
  const stored = await collect(ports.blobs.list());
  const storedByDigest = new Map(stored.map((info) => [info.digest, info]));
  const rehashed = await rehashAll(ports.blobs, stored, options);
  const faults = [...rehashed.faults];
  // Only digests are kept from the database walks (they page through the tables), so
  // memory grows with the number of distinct digests, not with the records.
  const referenced = new Set<string>();
  let blobLinksChecked = 0;
  for await (const link of ports.metadata.allBlobs()) {
    options.signal?.throwIfAborted();
    referenced.add(link.digest);
    faults.push(...checkStored(link.digest, link.size, link.repository, storedByDigest, 'blob'));
    blobLinksChecked += 1;
  }
  let manifestsChecked = 0;
  for await (const manifest of ports.metadata.allManifests()) {
    options.signal?.throwIfAborted();
    referenced.add(manifest.digest);
    faults.push(...checkManifestBytes(manifest, storedByDigest, rehashed.corrupt));
    faults.push(...(await checkReferences(ports.metadata, manifest, storedByDigest, isMirrored(manifest.repository, options.mirrorNamespaces))));
    manifestsChecked += 1;
  }
  let filesChecked = 0;
  for await (const file of ports.files?.allFiles() ?? []) {
    options.signal?.throwIfAborted();
    referenced.add(file.digest);
    faults.push(...checkFileBytes(file, storedByDigest, rehashed.corrupt));
    filesChecked += 1;
  }
  return {
    faults,
    blobsChecked: stored.length,
    bytesChecked: rehashed.bytes,
    blobLinksChecked,
    manifestsChecked,
    filesChecked,
    unreferencedBlobs: stored.filter((info) => !referenced.has(info.digest)).length,
  };
}

async function rehashAll(blobs: BlobStore, stored: BlobInfo[], options: FsckOptions) {
  const progress: FsckProgress = {
    blobsDone: 0,
    blobsTotal: stored.length,
    bytesDone: 0,
    bytesTotal: stored.reduce((sum, info) => sum + info.size, 0),
  };
  const faults: Fault[] = [];
  const corrupt = new Set<Digest>();
  options.onProgress?.({ ...progress });
  for (const { digest } of stored) {
    try {
      const actual = await rehash(blobs, digest, options.signal, (bytes) => {
        progress.bytesDone += bytes;
        options.onProgress?.({ ...progress });
      });
      if (actual !== digest) {
        corrupt.add(digest);
        faults.push({ kind: 'blob-corrupt', digest, message: `stored bytes hash to ${actual}` });
      }
    } catch (err) {
      options.signal?.throwIfAborted();
      corrupt.add(digest);
      faults.push({ kind: 'blob-unreadable', digest, message: `cannot read: ${err instanceof Error ? err.message : String(err)}` });
    }
    progress.blobsDone += 1;
    options.onProgress?.({ ...progress });
  }
  return { faults, corrupt, bytes: progress.bytesDone };
}

async function rehash(blobs: BlobStore, digest: Digest, signal: AbortSignal | undefined, onBytes: (n: number) => void) {
  const { algorithm } = parseDigest(digest)!;
  const hash = newHash(algorithm);
  const stream = await blobs.read(digest, { signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    onBytes(chunk.length);
  }
  return digestOf(algorithm, hash);
}

function checkStored(
  digest: Digest,
  size: number,
  repository: string,
  stored: Map<string, BlobInfo>,
  what: 'blob' | 'manifest' | 'file',
): Fault[] {
  const info = stored.get(digest);
  if (!info) return [{ kind: `${what}-missing`, digest, repository, message: `${what} recorded in ${repository} has no bytes in the blob store` }];
  if (info.size !== size) {
    return [{ kind: `${what}-size-mismatch`, digest, repository, message: `recorded as ${size} bytes, stored as ${info.size}` }];
  }
  return [];
}

function checkManifestBytes(manifest: ManifestRecord, stored: Map<string, BlobInfo>, corrupt: Set<Digest>): Fault[] {
  const { digest, repository } = manifest;
  const faults = checkStored(digest, manifest.size, repository, stored, 'manifest');
  if (faults.length === 0 && corrupt.has(digest)) {
    faults.push({ kind: 'manifest-corrupt', digest, repository, message: 'manifest content does not hash to its digest' });
  }
  return faults;
}

/** As a manifest's: the entry's bytes are stored, with its size, and hash to its digest. */
function checkFileBytes(file: FileRecord, stored: Map<string, BlobInfo>, corrupt: Set<Digest>): Fault[] {
  const { digest, repository, path } = file;
  const faults = checkStored(digest, file.size, repository, stored, 'file').map((fault) => ({ ...fault, path }));
  if (faults.length === 0 && corrupt.has(digest)) {
    faults.push({ kind: 'file-corrupt', digest, repository, path, message: 'file content does not hash to its digest' });
  }
  return faults;
}

function isMirrored(repository: string, mirrorNamespaces: readonly string[] = []): boolean {
  return mirrorNamespaces.some((namespace) => repository.startsWith(`${namespace}/`));
}

/** Each reference must be here; in a mirror, only those already fetched (linked) must have their bytes. */
async function checkReferences(metadata: MetadataStore, manifest: ManifestRecord, stored: Map<string, BlobInfo>, lazy: boolean): Promise<Fault[]> {
  const { repository, digest } = manifest;
  const faults: Fault[] = [];
  for (const reference of await metadata.getManifestReferences(repository, digest)) {
    const recorded =
      reference.kind === 'blob'
        ? (await metadata.getBlob(repository, reference.digest)) !== undefined
        : (await metadata.getManifest(repository, reference.digest)) !== undefined;
    if (!recorded && lazy) continue; // not fetched yet: it comes when a client asks for it
    const present = recorded && (reference.kind === 'manifest' || stored.has(reference.digest));
    if (!present) {
      faults.push({
        kind: 'reference-missing',
        digest,
        repository,
        message: `references ${reference.kind} ${reference.digest}, which ${repository} does not have`,
      });
    }
  }
  return faults;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
