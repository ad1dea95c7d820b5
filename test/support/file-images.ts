// Images whose layers hold given files (EICAR, Debian's clamav-testfiles), built with umoci
// into one OCI layout, and what their manifests reference.
import { existsSync } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestOfTag } from './images.js';
import { blobPath, readBlobJson, writeRandomFile, type Descriptor } from './oci-layout.js';
import { run, Umoci } from './tools.js';

export interface FileImageSpec {
  tag: string;
  /** Files on disk, each inserted as one layer (a tar.gz: umoci's default). */
  files: { source: string; pathInImage: string }[];
}

export interface FileImage {
  tag: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
}

interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

/** Builds every spec into `layout` (created if missing), one after the other: umoci locks the layout. */
export async function buildFileImages(layout: string, specs: readonly FileImageSpec[]): Promise<FileImage[]> {
  const umoci = new Umoci(layout);
  if (!existsSync(layout)) await umoci.init();
  for (const spec of specs) {
    await umoci.newImage(spec.tag);
    for (const file of spec.files) await umoci.insert(spec.tag, file.source, file.pathInImage);
  }
  await umoci.gc();
  return Promise.all(specs.map((spec) => describeImage(layout, spec.tag)));
}

/** One image per tag, each a single layer of `layerSize` fresh random bytes. */
export async function randomImages(layout: string, scratchDir: string, tags: readonly string[], layerSize: number): Promise<FileImage[]> {
  await mkdir(scratchDir, { recursive: true });
  const specs: FileImageSpec[] = [];
  for (const tag of tags) {
    const source = join(scratchDir, `${tag}.bin`);
    await writeRandomFile(source, layerSize);
    specs.push({ tag, files: [{ source, pathInImage: `/data/${tag}.bin` }] });
  }
  const images = await buildFileImages(layout, specs);
  await Promise.all(specs.map((spec) => rm(spec.files[0]!.source)));
  return images;
}

/** Tags `from` as `tag` and adds `files` as new layers on top: an image sharing `from`'s layers. */
export async function extendImage(layout: string, from: string, tag: string, files: FileImageSpec['files']): Promise<FileImage> {
  const umoci = new Umoci(layout);
  await run('umoci', ['tag', '--image', umoci.ref(from), tag]);
  for (const file of files) await umoci.insert(tag, file.source, file.pathInImage);
  await umoci.gc();
  return describeImage(layout, tag);
}

/** The tag's manifest descriptor, and the config and layers it references. */
export async function describeImage(layout: string, tag: string): Promise<FileImage> {
  const manifest = await manifestOfTag(layout, tag);
  const { config, layers } = await readBlobJson<ImageManifest>(layout, manifest.digest);
  return { tag, manifest, config, layers };
}

/** Every digest an image consists of: manifest, config and layers. */
export function digestsOf(image: FileImage): string[] {
  return [image.manifest.digest, image.config.digest, ...image.layers.map((layer) => layer.digest)];
}

const magic = {
  gzip: Buffer.from([0x1f, 0x8b]),
  zstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
};

/** Which compression a layout's blob really has, by its magic bytes (not its media type). */
export async function compressionOf(layout: string, digest: string): Promise<'gzip' | 'zstd' | 'other'> {
  const file = await open(blobPath(layout, digest), 'r');
  try {
    const head = Buffer.alloc(4);
    await file.read(head, 0, 4, 0);
    if (head.subarray(0, 4).equals(magic.zstd)) return 'zstd';
    return head.subarray(0, 2).equals(magic.gzip) ? 'gzip' : 'other';
  } finally {
    await file.close();
  }
}
