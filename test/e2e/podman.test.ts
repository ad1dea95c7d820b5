// podman against a running scangate: an image pushed with podman comes back with the same
// image id, layers and manifest digest; an image pushed with skopeo pulls with podman.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import { useE2eContext } from '../support/e2e-context.js';
import { buildImage, type BuiltImage } from '../support/images.js';
import { readBlobJson, sha256OfBytes, type Descriptor } from '../support/oci-layout.js';
import { Podman } from '../support/tools.js';

interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

describe('podman', () => {
  const e2e = useE2eContext('podman');
  let image: BuiltImage;
  let configDigest: string;

  beforeAll(async () => {
    image = await buildImage(e2e.work.join('layout'), e2e.work.join('scratch'), {
      tag: 'base',
      layerSizes: [1024, 3 * 1024 * 1024, 200_000],
    });
    configDigest = (await readBlobJson<ImageManifest>(image.layout, image.manifest.digest)).config.digest;
  });

  test('push then pull into fresh storage keeps the image id, layers and manifest digest', async () => {
    const pusher = new Podman(e2e.work.join('podman-push'));
    const localId = await pusher.pull(`oci:${image.layout}:base`);
    expect(`sha256:${localId}`).toBe(configDigest);

    const target = `${e2e.registry.host}/e2e/podman:v1`;
    const digestFile = e2e.work.join('pushed-digest');
    await pusher.push(localId, `docker://${target}`, { digestFile });
    const pushedDigest = (await readFile(digestFile, 'utf8')).trim();

    const puller = new Podman(e2e.work.join('podman-pull'));
    const pulledId = await puller.pull(target);
    const pulled = await puller.inspectImage(pulledId);
    const original = await pusher.inspectImage(localId);
    expect(pulled.Id).toBe(original.Id);
    expect(pulled.RootFS.Layers).toEqual(original.RootFS.Layers);
    expect(pulled.Digest).toBe(pushedDigest);
    expect(pulled.RepoDigests).toContain(`${e2e.registry.host}/e2e/podman@${pushedDigest}`);

    // What the registry serves hashes to the digest podman was told at push time.
    const served = await e2e.skopeo.inspectRaw(`docker://${target}`);
    expect(sha256OfBytes(served)).toBe(pushedDigest);
  });

  test('zstd-compressed layers go up and come back to the same image', async () => {
    // Layers of their own: podman's blob-info cache (shared, in /var/lib/containers/cache)
    // would otherwise mount the gzip copies pushed above instead of recompressing.
    const fresh = await buildImage(e2e.work.join('zstd-layout'), e2e.work.join('scratch'), {
      tag: 'base',
      layerSizes: [1024, 1024 * 1024],
    });
    const pusher = new Podman(e2e.work.join('podman-zstd'));
    const localId = await pusher.pull(`oci:${fresh.layout}:base`);
    const target = `${e2e.registry.host}/e2e/podman-zstd:v1`;
    await pusher.push(localId, `docker://${target}`, { compression: 'zstd' });

    const served = JSON.parse(await e2e.skopeo.inspectRaw(`docker://${target}`)) as ImageManifest;
    for (const layer of served.layers) expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    const puller = new Podman(e2e.work.join('podman-zstd-pull'));
    const pulled = await puller.inspectImage(await puller.pull(target));
    const original = await pusher.inspectImage(localId);
    expect(pulled.Id).toBe(original.Id);
    expect(pulled.RootFS.Layers).toEqual(original.RootFS.Layers);
  });

  test('podman pulls an image that skopeo pushed', async () => {
    const target = `${e2e.registry.host}/e2e/from-skopeo:v1`;
    await e2e.skopeo.copy(`oci:${image.layout}:base`, `docker://${target}`);

    const puller = new Podman(e2e.work.join('podman-skopeo'));
    const pulled = await puller.inspectImage(await puller.pull(target));
    expect(`sha256:${pulled.Id}`).toBe(configDigest);
    expect(pulled.Digest).toBe(image.manifest.digest);
  });
});
