// Publishing vulnerability reports: each completed report is signed before it is stored, and
// a `vulnerability-report-referrer` job on the durable queue then stores it as an OCI referrer
// of its image (report-referrer.ts), so `GET /v2/<name>/referrers/<digest>` lists it.
//
// The referrer goes in through the registry's own code paths (UploadService, ManifestService),
// and through the malware gate like any pushed content: its report comes from the adapter, not
// from scangate, and nothing is served before it is clean (a referrer is listed only once it
// is). The gatekeeper given here must be the malware gate's own, never the one that also queues
// vulnerability scans on push: a report is not an image, and scanning it would loop. (The scan
// job refuses report artifacts too, report-referrer.ts isReportArtifact.)
//
// A rescan adds a report and so a new referrer; the older ones stay, as the history does.
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import { mediaTypes } from '../domain/media-types.js';
import type { ClaimedJob, JobQueue, JsonValue } from '../ports/job-queue.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ReportSignature, VulnerabilityReportRecord, VulnerabilityReportStore } from '../ports/vulnerability-report-store.js';
import { noMetrics } from '../observability/metrics.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import { ManifestService } from '../registry/manifests.js';
import { UploadService } from '../registry/uploads.js';
import { reportReferrer } from './report-referrer.js';
import { signReport, type ReportSigner } from './report-signer.js';
import type { ScannedReport } from './report-statement.js';

export const reportReferrerJobKind = 'vulnerability-report-referrer';

export interface ReportPublishingDeps {
  signer: ReportSigner;
  reports: VulnerabilityReportStore;
  queue: Pick<JobQueue, 'enqueue'>;
  metadata: MetadataStore;
  blobs: BlobStore;
  /** The malware gate's gatekeeper (see the header): the referrer's content is admitted and scanned there. */
  gatekeeper: Gatekeeper;
  maxManifestBytes: number;
  maxAttempts: number;
  logger: Logger;
}

export class ReportPublishing {
  readonly #uploads: UploadService;
  readonly #manifests: ManifestService;

  constructor(private readonly deps: ReportPublishingDeps) {
    this.#uploads = new UploadService({ blobs: deps.blobs, metadata: deps.metadata, metrics: noMetrics, gatekeeper: deps.gatekeeper });
    this.#manifests = new ManifestService({ blobs: deps.blobs, metadata: deps.metadata, maxManifestBytes: deps.maxManifestBytes, gatekeeper: deps.gatekeeper });
  }

  /** The signature of a completed scan's report, to store with it. */
  async sign(scan: ScannedReport): Promise<ReportSignature> {
    return signReport(this.deps.signer, scan);
  }

  /** Queues the referrer of a stored report (once per report). */
  async queueReferrer(record: Pick<VulnerabilityReportRecord, 'id'>): Promise<void> {
    await this.deps.queue.enqueue({
      kind: reportReferrerJobKind,
      payload: { reportId: record.id },
      dedupeKey: `${reportReferrerJobKind}:${record.id}`,
      maxAttempts: this.deps.maxAttempts,
    });
  }

  /** The job handler: idempotent (the same report always makes the same referrer). */
  readonly referrerJobHandler = async (job: ClaimedJob): Promise<void> => {
    await this.publish(reportIdOf(job.payload));
  };

  /**
   * Stores report `id` as a referrer of its image; its digest, or undefined when there is
   * nothing to publish (a failed scan, an unsigned report, an image deleted since, or a report
   * the malware gate refused).
   */
  async publish(id: string): Promise<Digest | undefined> {
    const record = await this.deps.reports.getReport(id);
    if (!record || record.status !== 'completed' || !record.signature) return undefined;
    if (record.referrer) return record.referrer;
    const { repository, digest } = record;
    const subject = await this.deps.metadata.getManifest(repository, digest);
    if (!subject) {
      this.deps.logger.info({ report: id, repository, digest }, 'report not published as a referrer: its image is no longer stored');
      return undefined;
    }
    const referrer = reportReferrer({ ...record, signature: record.signature }, subject);
    try {
      for (const blob of referrer.blobs) await this.#uploads.monolithic(repository, blob.digest, Readable.from([blob.bytes]));
      await this.#manifests.put({ repository, reference: referrer.digest, body: Readable.from([referrer.manifest]), contentType: mediaTypes.ociManifest });
    } catch (error) {
      // The malware gate found something in the adapter's report: it is never served.
      if (error instanceof RegistryError && error.code === 'DENIED') {
        this.deps.logger.warn({ report: id, repository, digest, err: error }, 'report not published as a referrer: the malware gate refused it');
        return undefined;
      }
      throw error;
    }
    await this.deps.reports.setReferrer(id, referrer.digest);
    this.deps.logger.info({ report: id, repository, digest, referrer: referrer.digest }, 'vulnerability report published as an OCI referrer');
    return referrer.digest;
  }
}

function reportIdOf(payload: JsonValue): string {
  const id = (payload as { reportId?: unknown } | null)?.reportId;
  if (typeof id !== 'string' || id === '') throw Object.assign(new Error(`malformed ${reportReferrerJobKind} job payload: ${JSON.stringify(payload)}`), { retryable: false });
  return id;
}

