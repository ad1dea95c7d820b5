// Pushes a small OCI image through app.inject(): config and layer blobs, then the manifest
// with the annotations given. For tests of what the policy decides on artifacts.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export interface PushedImage {
  digest: string;
  config: string;
  layer: string;
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function pushBlob(app: FastifyInstance, authorization: string, repository: string, body: Buffer): Promise<string> {
  const digest = sha256(body);
  const res = await app.inject({ method: 'POST', url: `/v2/${repository}/blobs/uploads/?digest=${digest}`, headers: { authorization, 'content-type': 'application/octet-stream' }, payload: body });
  if (res.statusCode !== 201) throw new Error(`blob push answered ${res.statusCode}: ${res.body}`);
  return digest;
}

export async function pushImage(
  app: FastifyInstance,
  authorization: string,
  repository: string,
  tag: string,
  options: { annotations?: Record<string, string>; layer?: string; sharedLayer?: string } = {},
): Promise<PushedImage> {
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }));
  const config = await pushBlob(app, authorization, repository, configBytes);
  const layerBytes = Buffer.from(options.layer ?? `layer of ${repository}:${tag}`);
  const layer = await pushBlob(app, authorization, repository, layerBytes);
  const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: layerBytes.length }];
  if (options.sharedLayer !== undefined) {
    const shared = Buffer.from(options.sharedLayer);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: await pushBlob(app, authorization, repository, shared), size: shared.length });
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
      layers,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    }),
  );
  const res = await app.inject({
    method: 'PUT',
    url: `/v2/${repository}/manifests/${tag}`,
    headers: { authorization, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    payload: manifest,
  });
  if (res.statusCode !== 201) throw new Error(`manifest push answered ${res.statusCode}: ${res.body}`);
  return { digest: sha256(manifest), config, layer };
}
