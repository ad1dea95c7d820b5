// Pushes a small image straight to a registry over HTTP (no tools): uncompressed tar-less
// layers of given bytes, so a test scanner can see a marker inside them.
import { digestBytes, type Digest } from '../../domain/digest.js';
import { mediaTypes } from '../../domain/media-types.js';

export interface PushedImage {
  manifest: Buffer;
  manifestDigest: Digest;
  configDigest: Digest;
  layerDigests: Digest[];
}

const sha256 = (bytes: Buffer) => digestBytes(bytes);

export async function pushBlob(registry: string, repository: string, bytes: Buffer): Promise<Digest> {
  const digest = sha256(bytes);
  const started = await fetch(`${registry}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (started.status !== 202) throw new Error(`upload start answered ${started.status}`);
  const location = new URL(started.headers.get('location')!, registry);
  location.searchParams.set('digest', digest);
  const done = await fetch(location, { method: 'PUT', body: new Uint8Array(bytes), headers: { 'content-type': 'application/octet-stream' } });
  if (done.status !== 201) throw new Error(`upload answered ${done.status}: ${await done.text()}`);
  return digest;
}

export async function pushImage(registry: string, repository: string, tag: string, layers: Buffer[]): Promise<PushedImage> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) } }));
  const configDigest = await pushBlob(registry, repository, config);
  const layerDigests: Digest[] = [];
  for (const layer of layers) layerDigests.push(await pushBlob(registry, repository, layer));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((layer, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigests[i], size: layer.length })),
    }),
  );
  const put = await fetch(`${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: new Uint8Array(manifest),
    headers: { 'content-type': mediaTypes.ociManifest },
  });
  if (put.status !== 201) throw new Error(`manifest PUT answered ${put.status}: ${await put.text()}`);
  return { manifest, manifestDigest: sha256(manifest), configDigest, layerDigests };
}
