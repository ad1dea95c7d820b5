// Small builders for the metadata suite: digests from labels, manifests with defaults.
import { digestBytes, type Digest } from '../../domain/digest.js';
import type { MetadataStore, NewManifest } from '../../ports/metadata-store.js';

/** A stable, valid sha256 digest for a label (`digestOf('layer-1')`). */
export function digestOf(label: string): Digest {
  return digestBytes(label);
}

export const imageManifestType = 'application/vnd.oci.image.manifest.v1+json';

export function newManifest(repository: string, label: string, overrides: Partial<NewManifest> = {}): NewManifest {
  return {
    repository,
    digest: digestOf(label),
    mediaType: imageManifestType,
    size: 512,
    artifactType: null,
    subject: null,
    annotations: null,
    references: [
      { digest: digestOf(`${label}/config`), kind: 'blob' },
      { digest: digestOf(`${label}/layer`), kind: 'blob' },
    ],
    ...overrides,
  };
}

/** Collects an async iterable (the suite's walks are small). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Sorts as the registry must: by UTF-8 bytes, whatever the locale. */
export function byteOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Tags every name in `tags` on one manifest each, so listTags has them all. */
export async function putTags(store: MetadataStore, repository: string, tags: readonly string[]): Promise<void> {
  for (const tag of tags) await store.putManifest(newManifest(repository, `manifest-${tag}`), tag);
}
