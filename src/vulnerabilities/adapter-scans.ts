// Assembles vulnerability scanning through Harbor scanner adapters: the live registry of
// adapters (adapter-registry.ts: config file and admin API), the `vulnerability-scan` jobs on
// the durable queue and the workers that run them, the scan-on-push trigger (a Gatekeeper
// around the malware gate's: a manifest it admits is queued for the scanners its repository
// has, scannersFor), and the short-lived pull tokens adapters get. With the scan workers run
// the other triggers: the steps of scan campaigns (a small pool of their own, so that a step
// never waits behind long scans) and the cron schedules (scan-scheduler.ts).
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { scannerTokenSubjectClaim } from '../auth/scanner-token.js';
import type { RegistryTokenService } from '../auth/token-service.js';
import type { Config } from '../config/schema.js';
import type { Digest } from '../domain/digest.js';
import { namespaceOf } from '../domain/names.js';
import { WorkerPool } from '../jobs/worker-pool.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ReportSigningKeyStore } from '../ports/report-signing-key-store.js';
import type { VulnerabilityReportStore } from '../ports/vulnerability-report-store.js';
import type { VulnerabilityStore } from '../ports/vulnerability-store.js';
import { boundGatekeeper, type Gatekeeper } from '../quarantine/gatekeeper.js';
import type { ScanRequestBody } from '../scanners/harbor/protocol.js';
import type { AdapterRegistry } from './adapter-registry.js';
import { adapterScanJob, adapterScanJobHandler, adapterScanJobKind } from './adapter-scan-job.js';
import type { CampaignServices } from './campaign-services.js';
import { campaignStepHandler } from './campaign-walk.js';
import { campaignStepJobKind } from './scan-campaigns.js';
import { ScanScheduler } from './scan-scheduler.js';
import { ReportPublishing, reportReferrerJobKind } from './report-publishing.js';
import { ReportSigner } from './report-signer.js';
import type { Events } from '../ports/event-sink.js';

export interface AdapterScansDeps {
  config: Config;
  /** The adapters registered; read at each scan, so registrations take effect without a restart. */
  registry: AdapterRegistry;
  queue: JobQueue;
  metadata: MetadataStore;
  vulnerabilities: VulnerabilityStore;
  reports: VulnerabilityReportStore;
  /**
   * The malware gate: an adapter pulls an image only once it lets the image out, and the
   * reports' referrers are admitted through it (never the gatekeeper scanOnPush makes).
   */
  gate: Gatekeeper;
  blobs: BlobStore;
  /** The keys that sign reports (not the registry token keys). */
  reportKeys: ReportSigningKeyStore;
  /** Issues the adapters' pull tokens; absent with auth off (the adapter then pulls without). */
  tokens?: Pick<RegistryTokenService, 'issue'>;
  /** Scan campaigns and their schedules. */
  campaigns: CampaignServices;
  logger: Logger;
  /** Where scan events go (default: nowhere). */
  events?: Events;
}

export interface AdapterScans {
  registry: AdapterRegistry;
  /** `gatekeeper` that also queues a vulnerability scan of each manifest it admits (scan on push). */
  scanOnPush(gatekeeper: Gatekeeper): Gatekeeper;
  /** Queues a scan of the manifest by each scanner of its repository (deduplicated while one is queued). */
  enqueue(repository: string, digest: Digest): Promise<void>;
  /**
   * Runs scan jobs in this process; adapters pull from `registryUrl` unless the config names
   * one. The workers start once a scanner is registered (or scan jobs wait): until then they
   * would only poll an empty queue.
   */
  startWorkers(registryUrl: string): Promise<void>;
  /** Stops the workers, then closes the registry (its clients). */
  stop(): Promise<void>;
}

export function createAdapterScans(deps: AdapterScansDeps): AdapterScans {
  const { config, logger, registry } = deps;
  const scanning = config.vulnerabilityScanning;
  let registryUrl = scanning.registryUrl;
  // A token per scan request, allowing pull of that one repository and nothing else.
  const registryFor = async (repository: string): Promise<ScanRequestBody['registry']> => {
    if (registryUrl === undefined) throw new Error('the registry URL adapters pull from is not known yet');
    if (!deps.tokens) return { url: registryUrl };
    const issued = await deps.tokens.issue({
      subject: scannerTokenSubjectClaim,
      access: [{ type: 'repository', name: repository, actions: ['pull'] }],
      service: config.auth.service,
      ttlSeconds: scanning.tokenTtlSeconds,
    });
    return { url: registryUrl, authorization: `Bearer ${issued.token}` };
  };
  const publishing = new ReportPublishing({
    signer: new ReportSigner(deps.reportKeys),
    reports: deps.reports,
    queue: deps.queue,
    metadata: deps.metadata,
    blobs: deps.blobs,
    gatekeeper: deps.gate,
    maxManifestBytes: config.registry.maxManifestBytes,
    maxAttempts: config.scanning.retry.maxAttempts,
    logger,
  });
  const handler = adapterScanJobHandler({
    registry,
    publishing,
    gate: deps.gate,
    metadata: deps.metadata,
    vulnerabilities: deps.vulnerabilities,
    reports: deps.reports,
    registryFor,
    timeoutMs: scanning.timeoutSeconds * 1000,
    campaigns: deps.campaigns.store,
    logger,
    ...(deps.events ? { events: deps.events } : {}),
  });
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const pool = new WorkerPool({
    queue: deps.queue,
    owner: `${owner}:vuln`,
    handlers: { [adapterScanJobKind]: handler, [reportReferrerJobKind]: publishing.referrerJobHandler },
    concurrency: scanning.concurrency,
    // Long enough for the heartbeat (a third of it) to keep a slow scan leased.
    leaseMs: 30_000,
    pollMs: 500,
    logger,
  });
  const campaignSteps = new WorkerPool({
    queue: deps.queue,
    owner: `${owner}:campaigns`,
    handlers: {
      [campaignStepJobKind]: campaignStepHandler({
        store: deps.campaigns.store,
        metadata: deps.metadata,
        queue: deps.queue,
        scannersFor: deps.campaigns.scannersFor,
        knownScanners: deps.campaigns.knownScanners,
        scanMaxAttempts: config.scanning.retry.maxAttempts,
        logger,
      }),
    },
    concurrency: 2,
    leaseMs: 30_000,
    pollMs: 500,
    logger,
  });
  const scheduler = new ScanScheduler({ schedules: deps.campaigns.schedules, campaigns: deps.campaigns.campaigns, logger });
  const enqueue = async (repository: string, digest: Digest) => {
    for (const scanner of registry.scannersFor(repository)) await deps.queue.enqueue(adapterScanJob({ repository, digest, scanner }, config.scanning.retry.maxAttempts));
  };
  const onPush = (repository: string) => scanning.onPushByNamespace[namespaceOf(repository)] ?? scanning.onPush;
  let wanted = false;
  let running = false;
  const startPoolWhenNeeded = (jobsWaiting = false) => {
    if (!wanted || running || (registry.entries().length === 0 && !jobsWaiting)) return;
    running = true;
    logger.info({ adapters: registry.entries().map((e) => e.scanner.name), registryUrl }, 'vulnerability scanning through scanner adapters on');
    pool.start();
    campaignSteps.start();
    scheduler.start();
  };
  registry.onReload(() => startPoolWhenNeeded());
  return {
    registry,
    enqueue,
    scanOnPush: (inner) => ({
      ...boundGatekeeper(inner),
      async admit(repository, digest, kind, options) {
        await inner.admit(repository, digest, kind, options);
        if (kind === 'manifest' && onPush(repository)) await enqueue(repository, digest);
      },
    }),
    async startWorkers(url) {
      if (wanted) return;
      wanted = true;
      registryUrl ??= url;
      // Jobs of scanners deleted meanwhile still need a worker to end them, and reports of
      // scans finished before a restart their referrers.
      const { byKind } = await deps.queue.stats();
      const waiting = [adapterScanJobKind, reportReferrerJobKind].some((kind) => (byKind[kind]?.queued ?? 0) + (byKind[kind]?.running ?? 0) > 0);
      startPoolWhenNeeded(waiting);
    },
    async stop() {
      wanted = false;
      if (running) await Promise.all([scheduler.stop(), campaignSteps.stop({ deadlineMs: 10_000 }), pool.stop({ deadlineMs: 10_000 })]);
      await registry.close();
    },
  };
}
