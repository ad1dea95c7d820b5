// Helpers over OCI image layouts on disk (what umoci writes and `skopeo copy oci:` reads):
// random content streamed to files, blob hashing, and hand-written blobs such as an index.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export const mediaTypes = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
} as const;

/** Writes `size` random bytes to `path`, 1 MiB at a time, with back-pressure. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const chunkSize = 1024 * 1024;
  let remaining = size;
  const source = new Readable({
    read() {
      if (remaining === 0) return void this.push(null);
      const length = Math.min(chunkSize, remaining);
      remaining -= length;
      this.push(randomBytes(length));
    },
  });
  await pipeline(source, createWriteStream(path));
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

export function sha256OfBytes(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function readIndex(layout: string): Promise<ImageIndex> {
  return JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as ImageIndex;
}

export async function writeIndex(layout: string, index: ImageIndex): Promise<void> {
  await writeFile(join(layout, 'index.json'), JSON.stringify(index));
}

export function blobPath(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(layout, 'blobs', algorithm!, hex!);
}

export async function readBlobJson<T>(layout: string, digest: string): Promise<T> {
  return JSON.parse(await readFile(blobPath(layout, digest), 'utf8')) as T;
}

/** Stores `bytes` as a blob of the layout and returns its descriptor. */
export async function writeBlob(layout: string, mediaType: string, bytes: string): Promise<Descriptor> {
  const digest = sha256OfBytes(bytes);
  await writeFile(blobPath(layout, digest), bytes);
  return { mediaType, digest, size: Buffer.byteLength(bytes) };
}

/**
 * Every blob file of a layout, by file name, with the sha256 of its actual content: two
 * layouts with equal fingerprints hold byte-identical blobs (and none that are corrupt,
 * since each name must equal its content's digest).
 */
export async function blobFingerprint(layout: string): Promise<Map<string, string>> {
  const directory = join(layout, 'blobs', 'sha256');
  const names = (await readdir(directory)).sort();
  const fingerprint = new Map<string, string>();
  for (const name of names) fingerprint.set(`sha256:${name}`, await sha256OfFile(join(directory, name)));
  return fingerprint;
}
