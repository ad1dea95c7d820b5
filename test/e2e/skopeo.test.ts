// skopeo against a running scangate: an umoci image with a >100 MB layer goes up and comes
// back bit-identical; inspect, list-tags and delete behave as on any registry.
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startRegistryUnderTest } from '../support/distribution-server.js';
import { buildImage, manifestOfTag, type BuiltImage } from '../support/images.js';
import { blobFingerprint, blobPath, readBlobJson, type Descriptor } from '../support/oci-layout.js';
import type { RunningRegistry } from '../support/server-process.js';
import { makeTempDir, type TempDir } from '../support/temp-dir.js';
import { Skopeo } from '../support/tools.js';

const MiB = 1024 * 1024;

describe('skopeo', () => {
  let registry: RunningRegistry;
  let work: TempDir;
  let skopeo: Skopeo;
  let small: BuiltImage;

  beforeAll(async () => {
    work = await makeTempDir('e2e-skopeo');
    registry = await startRegistryUnderTest();
    skopeo = new Skopeo({ cacheDir: work.join('skopeo-cache') });
    small = await buildImage(work.join('small'), work.join('scratch'), { tag: 'base', layerSizes: [2048, 300_000] });
  });

  afterAll(async () => {
    await registry?.stop();
    await work?.remove();
  });

  test('an image with a 100+ MB layer goes up and comes back bit-identical', async () => {
    const image = await buildImage(work.join('big'), work.join('scratch'), {
      tag: 'base',
      layerSizes: [4096, 2 * MiB, 105 * MiB, 64 * 1024],
    });
    const manifest = await readBlobJson<{ layers: Descriptor[] }>(image.layout, image.manifest.digest);
    expect(manifest.layers).toHaveLength(4);
    expect(Math.max(...manifest.layers.map((layer) => layer.size))).toBeGreaterThan(100 * MiB);

    const reference = `docker://${registry.host}/e2e/app:v1`;
    await skopeo.copy(`oci:${image.layout}:base`, reference);
    const back = work.join('big-back');
    await skopeo.copy(reference, `oci:${back}:v1`);

    expect((await manifestOfTag(back, 'v1')).digest).toBe(image.manifest.digest);
    expect(await blobFingerprint(back)).toEqual(await blobFingerprint(image.layout));
  }, 240_000);

  test('inspect --raw returns the pushed manifest byte for byte', async () => {
    const reference = `docker://${registry.host}/e2e/inspect:v1`;
    await skopeo.copy(`oci:${small.layout}:base`, reference);

    const raw = await skopeo.inspectRaw(reference);
    expect(raw).toBe(await readFile(blobPath(small.layout, small.manifest.digest), 'utf8'));
    expect(await skopeo.inspectRaw(`docker://${registry.host}/e2e/inspect@${small.manifest.digest}`)).toBe(raw);
  });

  test('list-tags lists every pushed tag', async () => {
    for (const tag of ['v1', 'v2', 'latest']) {
      await skopeo.copy(`oci:${small.layout}:base`, `docker://${registry.host}/e2e/tags:${tag}`);
    }
    const tags = await skopeo.listTags(`docker://${registry.host}/e2e/tags`);
    expect([...tags].sort()).toEqual(['latest', 'v1', 'v2']);
  });

  test('after skopeo delete the manifest answers 404 by tag and by digest', async () => {
    const reference = `docker://${registry.host}/e2e/deleted:v1`;
    await skopeo.copy(`oci:${small.layout}:base`, reference);
    await skopeo.delete(reference);

    await expect(skopeo.inspectRaw(reference)).rejects.toThrow(/manifest unknown|not found|404/i);
    for (const ref of ['v1', small.manifest.digest]) {
      const response = await request(`${registry.url}/v2/e2e/deleted/manifests/${ref}`, {
        headers: { accept: small.manifest.mediaType },
      });
      const body = (await response.body.json()) as { errors: Array<{ code: string }> };
      expect(response.statusCode, `GET manifests/${ref}`).toBe(404);
      expect(body.errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    }
    const copyBack = skopeo.copy(reference, `oci:${work.join('deleted-back')}:v1`);
    await expect(copyBack).rejects.toThrow(/manifest unknown|not found|404/i);
  });
});
