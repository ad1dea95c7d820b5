// A multi-arch OCI image index through a running scangate: pushed with `skopeo copy --all`,
// served back byte for byte, copied back identical, and resolved per platform by clients.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { useE2eContext } from '../support/e2e-context.js';
import { buildImage, manifestOfTag } from '../support/images.js';
import {
  blobFingerprint,
  mediaTypes,
  sha256OfBytes,
  writeBlob,
  writeIndex,
  type Descriptor,
  type ImageIndex,
} from '../support/oci-layout.js';

const architectures = ['amd64', 'arm64'] as const;

/** One layout whose index.json holds a single image index over one image per architecture. */
async function buildMultiArchLayout(layout: string, scratch: string) {
  const children: Record<string, Descriptor> = {};
  for (const architecture of architectures) {
    const built = await buildImage(layout, scratch, { tag: architecture, layerSizes: [1500, 100_000], architecture });
    children[architecture] = {
      mediaType: built.manifest.mediaType,
      digest: built.manifest.digest,
      size: built.manifest.size,
      platform: { architecture, os: 'linux' },
    };
  }
  const index: ImageIndex = { schemaVersion: 2, mediaType: mediaTypes.index, manifests: Object.values(children) };
  const indexJson = JSON.stringify(index);
  const descriptor = await writeBlob(layout, mediaTypes.index, indexJson);
  await writeIndex(layout, {
    schemaVersion: 2,
    manifests: [{ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }],
  });
  return { indexDigest: descriptor.digest, indexJson, children };
}

describe('multi-arch index', () => {
  const e2e = useE2eContext('multi');
  let built: Awaited<ReturnType<typeof buildMultiArchLayout>>;
  let reference: string;

  beforeAll(async () => {
    built = await buildMultiArchLayout(e2e.work.join('layout'), e2e.work.join('scratch'));
    reference = `docker://${e2e.registry.host}/e2e/multi:v1`;
    await e2e.skopeo.copy(`oci:${e2e.work.join('layout')}:multi`, reference, { all: true });
  });

  test('inspect --raw serves the index exactly as pushed', async () => {
    expect(await e2e.skopeo.inspectRaw(reference)).toBe(built.indexJson);
  });

  test('copy --all back gives the same index and byte-identical blobs', async () => {
    const back = e2e.work.join('back');
    await e2e.skopeo.copy(reference, `oci:${back}:v1`, { all: true });
    expect((await manifestOfTag(back, 'v1')).digest).toBe(built.indexDigest);
    expect(await blobFingerprint(back)).toEqual(await blobFingerprint(e2e.work.join('layout')));
  });

  test('as a Docker manifest list it is stored and served as such', async () => {
    const list = `docker://${e2e.registry.host}/e2e/multi-docker:v1`;
    await e2e.skopeo.copy(`oci:${e2e.work.join('layout')}:multi`, list, { all: true, format: 'v2s2' });

    const raw = JSON.parse(await e2e.skopeo.inspectRaw(list)) as ImageIndex;
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(raw.manifests.map((child) => child.platform?.architecture)).toEqual([...architectures]);
    const arm = e2e.work.join('docker-arm64');
    // dir: keeps the child's Docker manifest as served (oci: would convert it).
    await e2e.skopeo.copy(list, `dir:${arm}`, { overrideArch: 'arm64', overrideOs: 'linux' });
    const armChild = raw.manifests.find((child) => child.platform?.architecture === 'arm64');
    expect(sha256OfBytes(await readFile(join(arm, 'manifest.json')))).toBe(armChild?.digest);
  });

  test.each(architectures)('--override-arch %s picks that child', async (architecture) => {
    const single = e2e.work.join(`single-${architecture}`);
    await e2e.skopeo.copy(reference, `oci:${single}:v1`, { overrideArch: architecture, overrideOs: 'linux' });
    expect((await manifestOfTag(single, 'v1')).digest).toBe(built.children[architecture]!.digest);
  });
});
