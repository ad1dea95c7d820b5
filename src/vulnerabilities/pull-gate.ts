// The vulnerability gate as the pull path asks it (src/http/auth/artifact-guard.ts): an
// image is judged by its own findings, an index by its own and its child manifests'. And
// the severity counts the policy's target carries (src/registry/artifact-facts.ts).
import type { Digest } from '../domain/digest.js';
import { isIndexMediaType, isManifestMediaType } from '../domain/media-types.js';
import type { ManifestRecord, MetadataStore } from '../ports/metadata-store.js';
import type { VulnerabilityReportStore } from '../ports/vulnerability-report-store.js';
import type { VulnerabilityStore } from '../ports/vulnerability-store.js';
import type { GateAnswer, VulnerabilityGateCheck } from '../http/auth/artifact-guard.js';
import { checkVulnerabilityGate } from './check.js';
import { isReportArtifact } from './report-referrer.js';

export interface PullVulnerabilityGateOptions {
  clock?: () => Date;
  /**
   * Tells scangate's own report referrers apart: they hold a report, no software, and are
   * never vulnerability-scanned themselves, so no gate (`blockUnscanned` included) holds them
   * back. Only a manifest stored as a report's referrer is let through, not one merely shaped
   * like one. The malware gate still applies. Absent: no exemption.
   */
  reports?: Pick<VulnerabilityReportStore, 'isReportReferrer'>;
}

export class PullVulnerabilityGate implements VulnerabilityGateCheck {
  private readonly clock: () => Date;

  constructor(
    private readonly store: VulnerabilityStore,
    private readonly metadata: Pick<MetadataStore, 'getManifestReferences'>,
    private readonly options: PullVulnerabilityGateOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async check(repository: string, manifest: ManifestRecord): Promise<GateAnswer> {
    if (isReportArtifact(manifest) && (await this.options.reports?.isReportReferrer(manifest.digest))) return { allowed: true };
    // An index's children are looked up only when a gate applies.
    const digests = async (): Promise<Digest[]> => {
      if (!(isManifestMediaType(manifest.mediaType) && isIndexMediaType(manifest.mediaType))) return [manifest.digest];
      const children = (await this.metadata.getManifestReferences(repository, manifest.digest)).filter((r) => r.kind === 'manifest');
      return [manifest.digest, ...children.map((r) => r.digest)];
    };
    const decision = await checkVulnerabilityGate(this.store, { repository, digests, now: this.clock() });
    if (decision.allowed) return { allowed: true };
    return { allowed: false, reason: decision.reason, detail: { rule: `vulnerability:${decision.rule}`, blocking: decision.blocking, unscanned: decision.unscanned } };
  }
}

/**
 * The severity counts of the scanned among `digests`: an artifact no vulnerability scan has
 * completed for has no `vulnerabilities` in its target, so a rule that reads them is false
 * for it (oslo's missing key), not satisfied by zeros it never earned.
 */
export function vulnerabilitySummaries(store: Pick<VulnerabilityStore, 'scannedDigests' | 'summary'>) {
  return {
    summaries: async (digests: readonly Digest[]) => {
      const scanned = [...(await store.scannedDigests(digests))];
      return new Map(await Promise.all(scanned.map(async (d) => [d, await store.summary(d)] as const)));
    },
  };
}
