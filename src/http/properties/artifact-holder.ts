// An artifact as a property holder: the manifest a tag or digest names in a repository,
// its OCI annotations (fixed: part of the signed bytes) and its facts (inherited properties
// of indexes, scan state, vulnerabilities: src/registry/artifact-facts.ts).
import type { Digest } from '../../domain/digest.js';
import { isDigest } from '../../domain/digest.js';
import { manifestUnknown } from '../../domain/errors.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { ArtifactFactsSource } from '../../registry/artifact-facts.js';
import type { PropertyHolder } from './holder.js';
import type { PropertiesPath } from './paths.js';

export type ArtifactPath = Extract<PropertiesPath, { kind: 'artifact' }>;

export function artifactHolders(
  metadata: Pick<MetadataStore, 'getManifest' | 'resolveTag'>,
  facts: ArtifactFactsSource,
): (path: ArtifactPath) => Promise<PropertyHolder> {
  return async ({ repository, reference }) => {
    const digest = isDigest(reference) ? reference : await metadata.resolveTag(repository, reference);
    const record = digest && (await metadata.getManifest(repository, digest as Digest));
    if (!record) throw manifestUnknown(reference);
    const tag = reference === record.digest ? undefined : reference;
    return {
      subject: { kind: 'artifact', repository, digest: record.digest as Digest },
      resource: `artifact:${repository}:${reference}`,
      facts: await facts.forManifest(repository, record, tag),
      fixed: record.annotations ?? {},
      fixedReason: (name) => `${name} is an OCI annotation of the manifest: annotations are part of its content and cannot be changed here (push a new manifest)`,
      identity: { repository, digest: record.digest },
      unknown: () => manifestUnknown(reference),
    };
  };
}
