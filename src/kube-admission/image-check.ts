// One image reference, judged for admission: is it served by this scangate, does its tag or
// digest name a manifest here (a pull-through mirror's is fetched first), is everything it
// references clean in the malware gate, does it pass its namespace's vulnerability gate, and
// has a vulnerability scan completed for it when one is required. The same questions the
// pull path asks (the same gate, the same vulnerability gate), asked before the kubelet pulls,
// so that a pod that could not pull, or should not run, is refused with a reason instead.
import { isDigest, type Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import { formatImageReference, parseImageReference, type ImageReference } from '../domain/image-reference.js';
import { isIndexMediaType, isManifestMediaType } from '../domain/media-types.js';
import type { ManifestRecord, MetadataStore } from '../ports/metadata-store.js';
import type { VulnerabilityStore } from '../ports/vulnerability-store.js';
import type { ContentGate } from '../quarantine/gate.js';
import type { LocatedManifest } from '../registry/manifests.js';
import { scannableArtifactTypes } from '../scanners/harbor/protocol.js';
import type { PullVulnerabilityGate } from '../vulnerabilities/pull-gate.js';

/** Why an image is refused; also the `reason` label of the decisions metric. */
export type DenialReason =
  | 'invalid_reference'
  | 'foreign_image'
  | 'not_found'
  | 'malware_pending'
  | 'malware_infected'
  | 'malware_scan_failed'
  | 'vulnerability_gate'
  | 'not_scanned_for_vulnerabilities'
  | 'error';

export type ImageVerdict =
  | {
      allowed: true;
      /** `served`: judged and passed; `foreign`: another registry's, let through unchecked. */
      outcome: 'served' | 'foreign';
      /** The manifest admitted (served images). */
      digest?: Digest;
      reference?: ImageReference;
    }
  | { allowed: false; reason: DenialReason; message: string; digest?: Digest };

export interface ImageCheckDeps {
  /** The hosts under which this scangate is named, lower case. */
  registryHosts: readonly string[];
  foreignImages: 'allow' | 'deny';
  /**
   * Whether an image of this repository is denied until a vulnerability scan has completed
   * for it (its image manifests, an index's children).
   */
  requireVulnerabilityReport: (repository: string) => boolean;
  manifests: { locate(repository: string, reference: string): Promise<LocatedManifest> };
  gate: Pick<ContentGate, 'checkManifest'>;
  metadata: Pick<MetadataStore, 'getManifestReferences'>;
  /** The pull path's vulnerability gate; absent: none. */
  vulnerabilityGate?: Pick<PullVulnerabilityGate, 'check'>;
  /** Which digests have a completed vulnerability scan; needed with requireVulnerabilityReport. */
  vulnerabilities?: Pick<VulnerabilityStore, 'scannedDigests'>;
}

type Located = { located: LocatedManifest } | { denied: ImageVerdict & { allowed: false } };

export class ImageCheck {
  private readonly hosts: ReadonlySet<string>;

  constructor(private readonly deps: ImageCheckDeps) {
    this.hosts = new Set(deps.registryHosts);
  }

  async judge(image: string): Promise<ImageVerdict> {
    const parsed = parseImageReference(image);
    if (!parsed.ok) return { allowed: false, reason: 'invalid_reference', message: parsed.problem };
    const reference = parsed.reference;
    if (!this.hosts.has(reference.domain)) {
      if (this.deps.foreignImages === 'allow') return { allowed: true, outcome: 'foreign', reference };
      const served = [...this.hosts].join(', ');
      return { allowed: false, reason: 'foreign_image', message: `${formatImageReference(reference)} is not served by scangate (${served}), and admission.foreignImages is deny` };
    }
    const found = await this.locate(reference.path, reference);
    if ('denied' in found) return found.denied;
    const { record, mirrored } = found.located;
    const denied = (reason: DenialReason, message: string): ImageVerdict => ({ allowed: false, reason, message, digest: record.digest });

    const malware = await this.malwareProblem(reference.path, record.digest, mirrored);
    if (malware) return denied(malware.reason, malware.message);
    const gate = await this.deps.vulnerabilityGate?.check(reference.path, record);
    if (gate && !gate.allowed) {
      const rule = (gate.detail as { rule?: string } | undefined)?.rule;
      return denied(rule === 'vulnerability:unscanned' ? 'not_scanned_for_vulnerabilities' : 'vulnerability_gate', `denied by the vulnerability gate: ${gate.reason}`);
    }
    if (this.deps.vulnerabilities && this.deps.requireVulnerabilityReport(reference.path)) {
      const unscanned = await this.unscanned(reference.path, record);
      if (unscanned.length > 0) {
        const which = unscanned.length === 1 && unscanned[0] === record.digest ? '' : ` (${unscanned.join(', ')})`;
        return denied('not_scanned_for_vulnerabilities', `not scanned for vulnerabilities yet${which}; retry once its scan has completed`);
      }
    }
    return { allowed: true, outcome: 'served', digest: record.digest, reference };
  }

  /** The manifest, or the denial that says why there is none. */
  private async locate(repository: string, reference: ImageReference): Promise<Located> {
    const wanted = reference.digest ?? reference.tag!;
    if (reference.digest !== undefined && !isDigest(reference.digest)) {
      return { denied: { allowed: false, reason: 'invalid_reference', message: `digest ${reference.digest} uses an algorithm scangate does not support (sha256, sha512)` } };
    }
    try {
      return { located: await this.deps.manifests.locate(repository, wanted) };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const what = reference.digest ? `${repository}@${wanted}` : `${repository}:${wanted}`;
      if (error.status === 404) return { denied: { allowed: false, reason: 'not_found', message: `not found in scangate: no manifest ${what} (${error.message})` } };
      // A mirror whose upstream cannot be reached, with nothing cached.
      return { denied: { allowed: false, reason: 'error', message: `${what} could not be resolved: ${error.message}` } };
    }
  }

  /** Why the malware gate would not serve it (a pull-through mirror's missing layers wait to be fetched and scanned on pull). */
  private async malwareProblem(repository: string, digest: Digest, mirrored: boolean): Promise<{ reason: DenialReason; message: string } | undefined> {
    try {
      await this.deps.gate.checkManifest(repository, digest, { lazyReferences: mirrored });
      return undefined;
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      const detail = (error.detail ?? {}) as { digest?: string; state?: string; reason?: string | null; decidedBy?: string | null };
      const part = detail.digest === digest ? 'the manifest' : `blob or manifest ${detail.digest}`;
      switch (detail.state) {
        case 'pending':
          return { reason: 'malware_pending', message: `not scanned yet: ${part} is waiting for its malware scan; retry shortly` };
        case 'infected':
          return { reason: 'malware_infected', message: `malware found in ${part}: ${detail.reason ?? 'no signature recorded'} (found by ${detail.decidedBy ?? 'a scanner'})` };
        case 'failed':
          return { reason: 'malware_scan_failed', message: `${part} could not be scanned for malware (${detail.reason ?? 'scanner error'}); an admin can rescan it` };
        default:
          return { reason: 'error', message: error.message };
      }
    }
  }

  /**
   * The digests that want a vulnerability report and have none: the image manifest itself, or
   * an index's image manifests (each scanned on its own; a mirror's not fetched yet is fetched
   * now, so that it gets scanned, and counts as unscanned).
   */
  private async unscanned(repository: string, record: ManifestRecord): Promise<Digest[]> {
    let wanted: Digest[] = [];
    if (scannableArtifactTypes.includes(record.mediaType)) wanted = [record.digest];
    else if (isManifestMediaType(record.mediaType) && isIndexMediaType(record.mediaType)) {
      const children = (await this.deps.metadata.getManifestReferences(repository, record.digest)).filter((r) => r.kind === 'manifest');
      const located = await Promise.all(children.map(async (child) => this.deps.manifests.locate(repository, child.digest).catch(() => undefined)));
      wanted = children.filter((child, i) => located[i] === undefined || scannableArtifactTypes.includes(located[i].record.mediaType)).map((c) => c.digest);
    }
    if (wanted.length === 0) return [];
    const scanned = await this.deps.vulnerabilities!.scannedDigests(wanted);
    return wanted.filter((digest) => !scanned.has(digest));
  }
}
