// What the scan benchmark pushes as an image: layers built on disk, a small image config
// and an OCI image manifest over them; and the poll that tells when a pull would succeed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { LayerFile } from './layer-archive.js';
import type { RegistryClient } from './oci-client.js';
import type { Payload } from './payload.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const READ_HIGH_WATER_MARK = 4 * 1024 * 1024;

/** A file on disk as a blob payload: the client streams its ranges from the page cache. */
export function filePayload(layer: Pick<LayerFile, 'path' | 'size' | 'digest'>): Payload {
  return {
    size: layer.size,
    digest: layer.digest,
    range: (start, end) => createReadStream(layer.path, { start, end: end - 1, highWaterMark: READ_HIGH_WATER_MARK }),
  };
}

/** A blob held in memory (the image config). */
export function bufferPayload(bytes: Buffer): Payload {
  return {
    size: bytes.length,
    digest: sha256(bytes),
    range: (start, end) => oneChunk(bytes.subarray(start, end)),
  };
}

export interface ImageDocuments {
  config: Buffer;
  manifest: Buffer;
}

/** The image config (with the layers' diff_ids) and the manifest that lists config and layers. */
export function imageDocuments(layers: LayerFile[]): ImageDocuments {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_MEDIA_TYPE,
      config: { mediaType: CONFIG_MEDIA_TYPE, digest: sha256(config), size: config.length },
      layers: layers.map((layer) => ({ mediaType: LAYER_MEDIA_TYPE, digest: layer.digest, size: layer.size })),
    }),
  );
  return { config, manifest };
}

/**
 * Calls `check` every `intervalMs` until it is true; resolves with the moment (performance.now())
 * its answer came. Throws after `timeoutMs`: a gate that never opens is a failed run.
 */
export async function pollUntil(what: string, check: () => Promise<boolean>, intervalMs: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now();
    if (performance.now() > deadline) throw new Error(`${what}: still not there after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True once a GET of the manifest would succeed (200); 503 (pending) and 404 mean not yet. */
export async function manifestPullable(client: RegistryClient, repo: string, reference: string): Promise<boolean> {
  const status = await client.status('GET', `/v2/${repo}/manifests/${reference}`, { accept: MANIFEST_MEDIA_TYPE });
  return expectWaiting(status, `manifest ${repo}:${reference}`);
}

/**
 * True once a blob would be served. A GET of its first byte, not a HEAD: HEAD answers for
 * pending blobs too (clients ask it before pushing), only reads pass the gate.
 */
export async function blobPullable(client: RegistryClient, repo: string, digest: string): Promise<boolean> {
  return expectWaiting(await client.status('GET', `/v2/${repo}/blobs/${digest}`, { range: 'bytes=0-0' }), `blob ${digest}`);
}

function expectWaiting(status: number, what: string): boolean {
  if (status === 200 || status === 206) return true;
  if (status === 503 || status === 404) return false;
  throw new Error(`${what}: HTTP ${status} while waiting for its scan`);
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function* oneChunk(bytes: Buffer): AsyncIterable<Uint8Array> {
  yield bytes;
}
