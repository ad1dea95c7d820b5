// What the policy knows about an artifact (or a file) when it decides a pull or a delete:
// the facts of src/policy/target.ts, gathered from the stores in a fixed, small number of
// queries.
//
// Properties are a manifest's OCI annotations overlaid with the properties set through the
// API, and an image inherits the properties of the indexes in the same repository that list
// it: a restriction set on a multi-arch index must cover its images, or `GET` of a child by
// digest would walk around it. The artifact's own values win over inherited ones.
import { namespaceOf } from '../domain/names.js';
import type { Digest } from '../domain/digest.js';
import type { FileRecord } from '../ports/file-store.js';
import type { ManifestRecord, MetadataStore } from '../ports/metadata-store.js';
import type { PropertyStore } from '../ports/property-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { ArtifactFacts, VulnerabilityCounts } from '../policy/target.js';
import type { VulnerabilityStore } from '../ports/vulnerability-store.js';
import { vulnerabilitySummaries } from '../vulnerabilities/pull-gate.js';
import type { FileScanState } from './files.js';

export interface ArtifactFactsDeps {
  metadata: Pick<MetadataStore, 'referencingManifests'>;
  properties: Pick<PropertyStore, 'valuesFor'>;
  /** Scan states; absent: no gate (`--no-scan`), and the facts carry no scan_state. */
  quarantine?: Pick<QuarantineStore, 'getStates'>;
  /** Vulnerability summaries by manifest digest; absent: the facts carry none. */
  vulnerabilities?: { summaries(digests: readonly Digest[]): Promise<Map<Digest, VulnerabilityCounts>> };
}

/** The facts source over the stores a process has (the server, `scangate policy check`). */
export function artifactFactsFrom(stores: {
  metadata: Pick<MetadataStore, 'referencingManifests'>;
  properties?: Pick<PropertyStore, 'valuesFor'>;
  quarantine?: Pick<QuarantineStore, 'getStates'>;
  vulnerabilities?: Pick<VulnerabilityStore, 'scannedDigests' | 'summary'>;
}): ArtifactFactsSource {
  return new ArtifactFactsSource({
    metadata: stores.metadata,
    properties: stores.properties ?? { valuesFor: async () => new Map() },
    ...(stores.quarantine ? { quarantine: stores.quarantine } : {}),
    ...(stores.vulnerabilities ? { vulnerabilities: vulnerabilitySummaries(stores.vulnerabilities) } : {}),
  });
}

/**
 * The facts of a file entry: its content's digest and scan state (none when unscanned, with
 * the gate off) and the properties set on it. Files have no annotations and nothing to
 * inherit from.
 */
export function fileFacts(file: Pick<FileRecord, 'repository' | 'digest'>, scanState: FileScanState, properties: Readonly<Record<string, string>>): ArtifactFacts {
  return {
    namespace: namespaceOf(file.repository),
    repository: file.repository,
    digest: file.digest,
    properties,
    ...(scanState !== 'unscanned' ? { scanState } : {}),
  };
}

export class ArtifactFactsSource {
  constructor(private readonly deps: ArtifactFactsDeps) {}

  /** The facts of one manifest, reached by `tag` when given. */
  async forManifest(repository: string, manifest: ManifestRecord, tag?: string): Promise<ArtifactFacts> {
    const parents = (await this.deps.metadata.referencingManifests(repository, [manifest.digest])).map((r) => r.manifest);
    const [facts] = await this.build(repository, [{ manifest, parents }]);
    return { ...facts!, ...(tag !== undefined ? { tag } : {}) };
  }

  /** The facts of every artifact a blob is pulled through (empty: no manifest references it). */
  async forBlob(repository: string, digest: Digest): Promise<ArtifactFacts[]> {
    const direct = (await this.deps.metadata.referencingManifests(repository, [digest])).map((r) => r.manifest);
    if (direct.length === 0) return [];
    const parents = await this.deps.metadata.referencingManifests(
      repository,
      direct.map((m) => m.digest),
    );
    return this.build(
      repository,
      direct.map((manifest) => ({ manifest, parents: parents.filter((p) => p.referenced === manifest.digest).map((p) => p.manifest) })),
    );
  }

  private async build(repository: string, artifacts: { manifest: ManifestRecord; parents: ManifestRecord[] }[]): Promise<ArtifactFacts[]> {
    const digests = [...new Set(artifacts.flatMap(({ manifest, parents }) => [manifest.digest, ...parents.map((p) => p.digest)]))];
    const own = artifacts.map((a) => a.manifest.digest);
    const [values, states, summaries] = await Promise.all([
      this.deps.properties.valuesFor(repository, digests),
      this.deps.quarantine?.getStates(own),
      this.deps.vulnerabilities?.summaries(own),
    ]);
    const propertiesOf = (m: ManifestRecord): Record<string, string> => ({ ...m.annotations, ...values.get(m.digest) });
    const namespace = namespaceOf(repository);
    return artifacts.map(({ manifest, parents }) => {
      const properties: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, ...parents.map(propertiesOf), propertiesOf(manifest));
      const state = states?.get(manifest.digest)?.state;
      const vulnerabilities = summaries?.get(manifest.digest);
      return {
        namespace,
        repository,
        digest: manifest.digest,
        properties,
        ...(state !== undefined ? { scanState: state } : {}),
        ...(vulnerabilities !== undefined ? { vulnerabilities } : {}),
      };
    });
  }
}
