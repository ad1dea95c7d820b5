// Builds test images with umoci: each layer one file of fresh random bytes, so no client's
// blob cache can know them from an earlier run.
import { mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Umoci } from './tools.js';
import { readIndex, writeRandomFile, type Descriptor } from './oci-layout.js';

export interface ImageSpec {
  /** Tag of the image inside the layout. */
  tag: string;
  /** One layer per entry, of that many random bytes. */
  layerSizes: number[];
  architecture?: string;
}

export interface BuiltImage {
  layout: string;
  tag: string;
  /** The manifest's descriptor as the layout's index.json lists it. */
  manifest: Descriptor;
}

/** Adds an image to the OCI layout `layout` (created if missing); scratch files go in `workDir`. */
export async function buildImage(layout: string, workDir: string, spec: ImageSpec): Promise<BuiltImage> {
  const umoci = new Umoci(layout);
  if (!existsSync(layout)) await umoci.init();
  await umoci.newImage(spec.tag);
  if (spec.architecture) await umoci.config(spec.tag, { architecture: spec.architecture });
  await mkdir(workDir, { recursive: true });
  for (const [position, size] of spec.layerSizes.entries()) {
    const file = join(workDir, `${spec.tag}-layer-${position}.bin`);
    await writeRandomFile(file, size);
    await umoci.insert(spec.tag, file, `/data/layer-${position}.bin`);
    await rm(file);
  }
  await umoci.gc();
  return { layout, tag: spec.tag, manifest: await manifestOfTag(layout, spec.tag) };
}

export async function manifestOfTag(layout: string, tag: string): Promise<Descriptor> {
  const index = await readIndex(layout);
  const found = index.manifests.find((entry) => entry.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!found) throw new Error(`no tag ${tag} in ${layout}/index.json`);
  return found;
}
