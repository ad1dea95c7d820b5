// The `vulnerability-scan` job: one Harbor scanner adapter over one image manifest in one
// repository. It waits (postponed, no attempt spent) while the malware gate holds the image,
// since the adapter pulls it back through that gate; then the adapter scans, and its findings
// become the VulnerabilityStore's (what the gates and the policy read) and its report joins the
// report history. Idempotent: running it twice records two reports and the newer findings.
import type { Logger } from 'pino';
import { isDigest, type Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { ClaimedJob, JsonValue, NewJob } from '../ports/job-queue.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { CampaignItemKey, ItemOutcome, ScanCampaignStore } from '../ports/scan-campaign-store.js';
import type { VulnerabilityReportStore } from '../ports/vulnerability-report-store.js';
import type { VulnerabilityFinding, VulnerabilityStore } from '../ports/vulnerability-store.js';
import type { ContentGate } from '../quarantine/gate.js';
import { isAdapterError } from '../scanners/harbor/adapter-error.js';
import type { CompletedScan } from '../scanners/harbor/client.js';
import { scannableArtifactTypes, type HarborReport, type ScanRequestBody } from '../scanners/harbor/protocol.js';
import type { AdapterRegistry } from './adapter-registry.js';
import { isReportArtifact } from './report-referrer.js';
import type { ReportPublishing } from './report-publishing.js';
import { severityFromScanner } from './severity.js';
import { noEvents, type Events } from '../ports/event-sink.js';
import { vulnerabilityScanCompleted, vulnerabilityScanFailed, vulnerabilityScanStarted } from './scan-events.js';

export const adapterScanJobKind = 'vulnerability-scan';

/** How long a scan waits before looking again at an image the malware gate still holds. */
const pendingRetryMs = 3_000;

export interface AdapterScanPayload {
  repository: string;
  digest: Digest;
  scanner: string;
  /** The scan campaign that queued it (its progress counts the outcome). */
  campaign?: string;
}

export function adapterScanJob(payload: AdapterScanPayload, maxAttempts: number): NewJob {
  return {
    kind: adapterScanJobKind,
    payload: { ...payload },
    // A campaign scans an image once per scanner, whichever repository it met it in first.
    dedupeKey:
      payload.campaign === undefined
        ? `vulnerability-scan:${payload.scanner}:${payload.repository}@${payload.digest}`
        : `vulnerability-scan:campaign:${payload.campaign}:${payload.scanner}:${payload.digest}`,
    maxAttempts,
  };
}

export interface AdapterScanJobDeps {
  registry: Pick<AdapterRegistry, 'resolve'>;
  gate: ContentGate;
  metadata: Pick<MetadataStore, 'getManifest'>;
  vulnerabilities: Pick<VulnerabilityStore, 'recordScan'>;
  reports: VulnerabilityReportStore;
  /** Signs each completed report and queues its OCI referrer; absent: reports are stored unsigned. */
  publishing?: Pick<ReportPublishing, 'sign' | 'queueReferrer'>;
  /** The registry coordinates and credentials an adapter pulls `repository` with. */
  registryFor(repository: string): Promise<ScanRequestBody['registry']>;
  timeoutMs: number;
  /** The campaigns whose progress a campaign's scans report to. */
  campaigns: Pick<ScanCampaignStore, 'getItem' | 'finishItem'>;
  logger: Logger;
  /** scan.started, scan.completed, vulnerability.found and scan.failed (default: nowhere). */
  events?: Events;
}

export function adapterScanJobHandler(deps: AdapterScanJobDeps) {
  const scanOnce = adapterScan(deps);
  return async (job: ClaimedJob, signal: AbortSignal): Promise<void> => {
    const payload = parsePayload(job.payload);
    if (payload.campaign === undefined) return scanOnce(job, payload, signal);
    const item = { campaign: payload.campaign, scanner: payload.scanner, digest: payload.digest };
    // Stopped (or counted already, by a run that lost its lease): nothing to do.
    if ((await deps.campaigns.getItem(item))?.state !== 'queued') return;
    try {
      await scanOnce(job, payload, signal);
    } catch (error) {
      if (isFinalFailure(error, job) && !signal.aborted) await reportToCampaign(deps, item, { state: 'failed', error: errorMessage(error) });
      throw error;
    }
    await reportToCampaign(deps, item, { state: 'completed' });
  };
}

async function reportToCampaign(deps: AdapterScanJobDeps, item: CampaignItemKey, outcome: ItemOutcome): Promise<void> {
  const { campaignFinished } = await deps.campaigns.finishItem(item, outcome);
  if (campaignFinished) deps.logger.info({ campaign: item.campaign }, 'vulnerability scan campaign finished');
}

/** Whether the job is dead after this error: not retryable, or its last attempt (a postponement is neither). */
function isFinalFailure(error: unknown, job: ClaimedJob): boolean {
  const { retryable, postponeMs } = (error ?? {}) as { retryable?: unknown; postponeMs?: unknown };
  if (typeof postponeMs === 'number') return false;
  return retryable === false || job.attempt >= job.maxAttempts;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function adapterScan(deps: AdapterScanJobDeps) {
  return async (job: ClaimedJob, payload: AdapterScanPayload, signal: AbortSignal): Promise<void> => {
    const scanner = await deps.registry.resolve(payload.scanner);
    // A scanner of another process's config file: that process runs it; never drop a scan.
    if (scanner.kind === 'elsewhere') throw postponed(`scanner adapter ${payload.scanner} is registered by another process's config file`, 60_000);
    // Deleted or disabled: the job ends, dead with the reason (the record), never retried.
    if (scanner.kind === 'gone') {
      deps.logger.info({ digest: payload.digest, repository: payload.repository, scanner: payload.scanner, reason: scanner.reason }, 'vulnerability scan dropped');
      throw Object.assign(new Error(scanner.reason), { retryable: false });
    }
    const client = scanner.client;
    const mimeType = await scannableManifest(deps, payload);
    if (mimeType === undefined) return;
    let scan: CompletedScan;
    (deps.events ?? noEvents).emit(vulnerabilityScanStarted(payload));
    try {
      scan = await client.scan({ repository: payload.repository, digest: payload.digest, mime_type: mimeType }, () => deps.registryFor(payload.repository), deps.timeoutMs, signal);
    } catch (error) {
      if (!isAdapterError(error)) throw error;
      const final = !error.retryable || job.attempt >= job.maxAttempts;
      if (final && !signal.aborted) await recordFailure(deps, payload, error.message);
      // The pool reads `retryable`: false makes the job dead at once.
      throw error;
    }
    await recordReport(deps, payload, scan);
  };
}

/**
 * The manifest's media type once the adapter can pull it; undefined when there is nothing to
 * scan (refused by the malware gate, or not an image manifest). Throws to wait for it.
 */
async function scannableManifest(deps: AdapterScanJobDeps, payload: AdapterScanPayload): Promise<string | undefined> {
  try {
    await deps.gate.checkManifest(payload.repository, payload.digest);
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'UNAVAILABLE') throw postponed(`waiting for the malware gate: ${error.message}`, pendingRetryMs);
    deps.logger.info({ digest: payload.digest, repository: payload.repository, scanner: payload.scanner, err: error }, 'not sent to the vulnerability scanner: the malware gate refuses it');
    return undefined;
  }
  const manifest = await deps.metadata.getManifest(payload.repository, payload.digest);
  // Admitted but not (yet) stored: its PUT is finishing, or was refused. Retried, then dead.
  if (!manifest) throw new Error(`manifest ${payload.digest} is not stored in ${payload.repository}`);
  // scangate's own report referrers are not images (scanning them would loop).
  if (isReportArtifact(manifest)) return undefined;
  // An index's children are manifests of their own, each scanned when it was pushed.
  if (!scannableArtifactTypes.includes(manifest.mediaType)) return undefined;
  return manifest.mediaType;
}

async function recordReport(deps: AdapterScanJobDeps, payload: AdapterScanPayload, scan: CompletedScan): Promise<void> {
  const scannedAt = new Date();
  const findings = findingsOf(scan.report);
  await deps.vulnerabilities.recordScan(payload.digest, payload.scanner, findings, scannedAt);
  const completed = { ...payload, scannerInfo: scannerInfoOf(scan), createdAt: scannedAt, mimeType: scan.mimeType, report: scan.raw };
  const signature = (await deps.publishing?.sign(completed)) ?? null;
  const record = await deps.reports.addReport({ ...completed, status: 'completed', signature });
  await deps.publishing?.queueReferrer(record);
  deps.logger.info({ digest: payload.digest, repository: payload.repository, scanner: payload.scanner, findings: findings.length }, 'vulnerability scan completed');
  for (const event of vulnerabilityScanCompleted(payload, findings)) (deps.events ?? noEvents).emit(event);
}

async function recordFailure(deps: AdapterScanJobDeps, payload: AdapterScanPayload, error: string): Promise<void> {
  await deps.reports.addReport({ ...payload, scannerInfo: { name: null, version: null, dbUpdatedAt: null }, createdAt: new Date(), status: 'failed', error });
  deps.logger.warn({ digest: payload.digest, repository: payload.repository, scanner: payload.scanner, error }, 'vulnerability scan failed');
  (deps.events ?? noEvents).emit(vulnerabilityScanFailed(payload, error));
}

/** The report's vulnerabilities on scangate's scale (Harbor's Negligible is `unknown`). */
export function findingsOf(report: HarborReport): VulnerabilityFinding[] {
  return (report.vulnerabilities ?? []).map((item) => ({
    cve: item.id,
    package: item.package ?? '',
    version: item.version ?? '',
    fixedVersion: item.fix_version ? item.fix_version : null,
    severity: severityFromScanner(item.severity ?? ''),
  }));
}

function scannerInfoOf(scan: CompletedScan) {
  const scanner = scan.report.scanner ?? scan.metadata.body.scanner;
  return { name: scanner.name ?? null, version: scanner.version ?? null, dbUpdatedAt: scan.metadata.dbUpdatedAt };
}

function postponed(message: string, ms: number): Error {
  return Object.assign(new Error(message), { postponeMs: ms });
}

function parsePayload(payload: JsonValue): AdapterScanPayload {
  const p = payload as Partial<AdapterScanPayload> | null;
  if (
    !p ||
    typeof p.repository !== 'string' ||
    typeof p.digest !== 'string' ||
    !isDigest(p.digest) ||
    typeof p.scanner !== 'string' ||
    (p.campaign !== undefined && typeof p.campaign !== 'string')
  ) {
    throw Object.assign(new Error(`malformed vulnerability-scan job payload: ${JSON.stringify(payload)}`), { retryable: false });
  }
  return { repository: p.repository, digest: p.digest, scanner: p.scanner, ...(p.campaign === undefined ? {} : { campaign: p.campaign }) };
}
