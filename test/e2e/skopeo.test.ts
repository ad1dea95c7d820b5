// skopeo against a running scangate: an umoci image with a >100 MB layer goes up and comes
// back bit-identical; inspect, list-tags and delete behave as on any registry.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { beforeAll, describe, expect, test } from 'vitest';
import { useE2eContext } from '../support/e2e-context.js';
import { buildImage, manifestOfTag, type BuiltImage } from '../support/images.js';
import { blobFingerprint, blobPath, readBlobJson, type Descriptor } from '../support/oci-layout.js';
import { Skopeo } from '../support/tools.js';

const MiB = 1024 * 1024;

describe('skopeo', () => {
  const e2e = useE2eContext('skopeo');
  let small: BuiltImage;

  beforeAll(async () => {
    small = await buildImage(e2e.work.join('small'), e2e.work.join('scratch'), {
      tag: 'base',
      layerSizes: [2048, 300_000],
    });
  });

  test('an image with a 100+ MB layer goes up and comes back bit-identical', async () => {
    const image = await buildImage(e2e.work.join('big'), e2e.work.join('scratch'), {
      tag: 'base',
      layerSizes: [4096, 2 * MiB, 105 * MiB, 64 * 1024],
    });
    const manifest = await readBlobJson<{ layers: Descriptor[] }>(image.layout, image.manifest.digest);
    expect(manifest.layers).toHaveLength(4);
    expect(Math.max(...manifest.layers.map((layer) => layer.size))).toBeGreaterThan(100 * MiB);

    const reference = `docker://${e2e.registry.host}/e2e/app:v1`;
    await e2e.skopeo.copy(`oci:${image.layout}:base`, reference);
    const back = e2e.work.join('big-back');
    await e2e.skopeo.copy(reference, `oci:${back}:v1`);

    expect((await manifestOfTag(back, 'v1')).digest).toBe(image.manifest.digest);
    expect(await blobFingerprint(back)).toEqual(await blobFingerprint(image.layout));
  }, 240_000);

  test('inspect --raw returns the pushed manifest byte for byte', async () => {
    const reference = `docker://${e2e.registry.host}/e2e/inspect:v1`;
    await e2e.skopeo.copy(`oci:${small.layout}:base`, reference);

    const raw = await e2e.skopeo.inspectRaw(reference);
    expect(raw).toBe(await readFile(blobPath(small.layout, small.manifest.digest), 'utf8'));
    expect(await e2e.skopeo.inspectRaw(`docker://${e2e.registry.host}/e2e/inspect@${small.manifest.digest}`)).toBe(raw);
  });

  test('a Docker schema 2 manifest (converted by skopeo) is stored and served as such', async () => {
    const reference = `docker://${e2e.registry.host}/e2e/docker-v2s2:v1`;
    await e2e.skopeo.copy(`oci:${small.layout}:base`, reference, { format: 'v2s2' });

    const raw = await e2e.skopeo.inspectRaw(reference);
    expect((JSON.parse(raw) as { mediaType: string }).mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const back = e2e.work.join('v2s2-back');
    await e2e.skopeo.copy(reference, `dir:${back}`);
    expect(await readFile(join(back, 'manifest.json'), 'utf8')).toBe(raw);
  });

  test('parallel pushes of one image to several repositories and tags all land intact', async () => {
    const image = await buildImage(e2e.work.join('parallel'), e2e.work.join('scratch'), {
      tag: 'base',
      layerSizes: [5 * MiB, 5 * MiB, 1000],
    });
    const targets = ['e2e/par-a:v1', 'e2e/par-a:v2', 'e2e/par-b:v1', 'e2e/par-c:v1'];
    // A cache per copy: no client may skip an upload because another one just did it.
    await Promise.all(
      targets.map((target, position) =>
        new Skopeo({ cacheDir: e2e.work.join(`cache-${position}`) }).copy(
          `oci:${image.layout}:base`,
          `docker://${e2e.registry.host}/${target}`,
        ),
      ),
    );
    for (const [position, target] of targets.entries()) {
      const back = e2e.work.join(`parallel-back-${position}`);
      await e2e.skopeo.copy(`docker://${e2e.registry.host}/${target}`, `oci:${back}:v1`);
      expect((await manifestOfTag(back, 'v1')).digest, target).toBe(image.manifest.digest);
      expect(await blobFingerprint(back), target).toEqual(await blobFingerprint(image.layout));
    }
  });

  test('list-tags lists every pushed tag', async () => {
    for (const tag of ['v1', 'v2', 'latest']) {
      await e2e.skopeo.copy(`oci:${small.layout}:base`, `docker://${e2e.registry.host}/e2e/tags:${tag}`);
    }
    const tags = await e2e.skopeo.listTags(`docker://${e2e.registry.host}/e2e/tags`);
    expect([...tags].sort()).toEqual(['latest', 'v1', 'v2']);
  });

  test('after skopeo delete the manifest answers 404 by tag and by digest', async () => {
    const reference = `docker://${e2e.registry.host}/e2e/deleted:v1`;
    await e2e.skopeo.copy(`oci:${small.layout}:base`, reference);
    await e2e.skopeo.delete(reference);

    await expect(e2e.skopeo.inspectRaw(reference)).rejects.toThrow(/manifest unknown|not found|404/i);
    for (const ref of ['v1', small.manifest.digest]) {
      const response = await request(`${e2e.registry.url}/v2/e2e/deleted/manifests/${ref}`, {
        headers: { accept: small.manifest.mediaType },
      });
      const body = (await response.body.json()) as { errors: Array<{ code: string }> };
      expect(response.statusCode, `GET manifests/${ref}`).toBe(404);
      expect(body.errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    }
    const copyBack = e2e.skopeo.copy(reference, `oci:${e2e.work.join('deleted-back')}:v1`);
    await expect(copyBack).rejects.toThrow(/manifest unknown|not found|404/i);
  });
});
