// `scangate serve`: compose the adapters, bring the database schema up to date, sweep
// uploads abandoned before the last stop, then listen. SIGTERM or SIGINT stops accepting,
// lets in-flight requests finish (Fastify's close), closes the database and exits 0.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { composeMigrated } from './compose.js';
import type { Config } from './config/schema.js';
import { buildApp } from './http/app.js';
import { createAccessControl } from './http/auth/create.js';
import { PrometheusMetrics } from './observability/prometheus.js';
import { readOrCreateAdminToken } from './admin-token.js';
import { IdentityAdmin } from './auth/identity-admin.js';
import { createScanGate } from './quarantine/runtime.js';
import { createRemotes, remotesDepsOf } from './remotes/create.js';
import { RemoteSyncs } from './remotes/remote-syncs.js';
import { createAdapterScans, type AdapterScans } from './vulnerabilities/adapter-scans.js';
import { ScannerAdmin } from './vulnerabilities/scanner-admin.js';
import { createEvents, type EventsRuntime } from './events/runtime.js';
import { openScannersAndCampaigns } from './vulnerabilities/campaign-services.js';
import type { BucketWatchers } from './buckets/watchers.js';
import { queueRescan } from './vulnerabilities/rescan.js';

export interface RunningServer {
  /** e.g. `http://127.0.0.1:5000` (with the real port when the config asked for port 0). */
  url: string;
  app: FastifyInstance;
  /** Stops accepting, waits for in-flight requests, closes the database. Idempotent. */
  stop(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const services = await composeMigrated(config);
  let stopGate = async () => {};
  let adapterScans: AdapterScans | undefined;
  let events: EventsRuntime | undefined;
  let buckets: BucketWatchers | undefined;
  try {
    const metrics = new PrometheusMetrics();
    // Domain events and their webhook deliveries (docs/webhooks.md): every emitter gets `events.events`.
    events = await createEvents({
      config,
      store: services.webhooks,
      queue: services.queue,
      logger,
      observeDelivery: (subscription, outcome, seconds) => metrics.observeWebhookDelivery(subscription, outcome, seconds),
    });
    const swept = await services.blobs.sweepStaging(config.registry.uploadTtlSeconds * 1000);
    if (swept > 0) logger.info({ swept }, 'removed staged uploads older than registry.uploadTtlSeconds');
    const access = await createAccessControl(config, services.identity, services.dataDir, logger);
    const gate = await createScanGate({
      config,
      dataDir: services.dataDir,
      blobs: services.blobs,
      metadata: services.metadata,
      store: services.quarantine,
      queue: services.queue,
      logger,
      events: events.events,
      observeScan: (scanner, outcome, seconds) => metrics.observeScan(scanner, outcome, seconds),
    });
    stopGate = () => gate.stop();
    metrics.observeScanGate({
      jobs: async () => {
        const { byKind: _, ...counts } = await services.queue.stats();
        return counts;
      },
      content: () => services.quarantine.countStates(),
      scannersUp: async () =>
        Object.fromEntries(await Promise.all(gate.scanners.all.map(async (s) => [s.name, await s.health().then(() => true, () => false)] as const))),
    });
    // The admin API is there with or without a scan gate; only its quarantine routes need one.
    const admin = {
      token: await readOrCreateAdminToken(services.dataDir, logger),
      ...(gate.admin ? { quarantine: { store: services.quarantine, admin: gate.admin, blobs: services.blobs, queue: services.queue } } : {}),
      vulnerabilities: services.vulnerabilities,
      reportSigningKeys: services.reportSigningKeys,
      // With auth off, key administration gets a token service of its own (no tokens are issued).
      identity: new IdentityAdmin(services.identity, access?.deps.tokens),
      ...(access ? { access } : {}),
      webhooks: events.admin,
    };
    // Vulnerability scans through scanner adapters (the config file's, recorded, and the admin
    // API's), queued when the malware gate admits a manifest.
    // Scan campaigns over what is stored (admin API, schedules, a scanner's first registration) run with the scans.
    const { registry: scannerRegistry, campaigns, onScannerRegistered } = await openScannersAndCampaigns(config, services, logger);
    adapterScans = createAdapterScans({
      config,
      registry: scannerRegistry,
      queue: services.queue,
      metadata: services.metadata,
      vulnerabilities: services.vulnerabilities,
      reports: services.vulnerabilityReports,
      gate: gate.gatekeeper,
      blobs: services.blobs,
      reportKeys: services.reportSigningKeys,
      ...(access ? { tokens: access.deps.tokens } : {}),
      campaigns,
      logger,
      events: events.events,
    });
    const gatekeeper = adapterScans.scanOnPush(gate.gatekeeper);
    metrics.observeVulnerabilityScanners(() => scannerRegistry.healthSummary());
    const vulnerabilityScanners = new ScannerAdmin({ registry: scannerRegistry, store: services.scannerRegistrations, onScannerRegistered, logger });
    // Remotes of the config file and those made through the admin API, shared with every server on the database.
    const remotes = await createRemotes(remotesDepsOf(config, services, gate, { logger, gatekeeper }));
    // Syncs asked for through the admin API: durable jobs, run here or by `scangate worker`.
    const remoteSyncs = remotes && new RemoteSyncs({ remotes, store: services.remoteSyncs, queue: services.queue, logger });
    // S3 buckets scanned from their event notifications (docs/buckets.md), with the gate's scanners.
    // Loaded only then: the S3 and AMQP clients cost ~15-25 MB of memory that a registry without buckets need not carry.
    if (config.buckets.length > 0) {
      const { startServeBucketWatchers } = await import('./buckets/watchers.js');
      buckets = await startServeBucketWatchers(config, { scanners: gate.scanners.all, store: services.bucketScans, events: events.events, logger });
    }
    const app = await buildApp({
      ...services,
      config,
      logger,
      metrics,
      admissionMetrics: metrics,
      renderMetrics: () => metrics.render(),
      gatekeeper,
      admin: { ...admin, vulnerabilityScanners, scanCampaigns: campaigns, ...(remotes?.admin ? { remotes: remotes.admin } : {}), ...(remoteSyncs ? { remoteSyncs } : {}) },
      ...(access ? { access } : {}),
      ...(remotes ? { remote: remotes.source } : {}),
      ...(remotes ? { fileRemote: remotes.files.source } : {}),
      ...(buckets?.intake ? { bucketEvents: buckets.intake } : {}),
      scannerHealth: Object.fromEntries(gate.scanners.all.map((s) => [s.name, () => s.health()])),
      vulnerabilityScannerHealth: () => scannerRegistry.healthChecks(),
      vulnerabilityScannersFor: scannerRegistry.scannersFor,
      rescanVulnerabilities: (repository: string, reference: string) =>
        queueRescan({ metadata: services.metadata, queue: services.queue, scannersFor: scannerRegistry.scannersFor, maxAttempts: config.scanning.retry.maxAttempts }, repository, reference),
      events: events.events,
    });
    metrics.instrument(app);
    if (config.scanning.workers) {
      gate.startWorkers();
      remoteSyncs?.startWorkers();
    } else if (gate.enabled) logger.info('scanning.workers is false: scan and sync jobs wait for a `scangate worker` process');
    // onClose runs once the server has stopped accepting and in-flight requests are done.
    app.addHook('onClose', async () => {
      await buckets?.stop();
      await remoteSyncs?.stop();
      await gate.stop();
      await adapterScans?.stop();
      await remotes?.close();
      await access?.close();
      // After every emitter has stopped: the last events are written, then the database closes.
      await events?.stop();
      await services.close();
    });
    // Requests in flight when the stop begins answer with `Connection: close`, so their
    // keep-alive sockets end with the response instead of holding the exit until the
    // keep-alive timeout (Fastify closes only the sockets idle at the moment of close).
    let stopping = false;
    app.addHook('onSend', async (_request, reply) => {
      if (stopping) reply.header('connection', 'close');
    });
    const { host, port } = splitHostPort(config.listen);
    logger.info({ data: services.dataDir, database: config.database.driver, storage: config.storage.driver }, 'starting');
    // Fastify logs the one line that carries the URL (with the real port when asked for 0).
    const url = await app.listen({ host, port, listenTextResolver: (address) => `scangate listening on ${address}` });
    // Adapters pull images back from this URL (unless vulnerabilityScanning.registryUrl names another).
    if (config.scanning.workers) await adapterScans.startWorkers(url);
    events.startDeliveries();
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopping = true;
      return (stopped ??= app.close());
    };
    return { url, app, stop };
  } catch (err) {
    await buckets?.stop();
    await stopGate();
    await adapterScans?.stop();
    await events?.stop();
    await services.close();
    throw err;
  }
}

/**
 * Stops the server on the first SIGTERM or SIGINT and exits 0 once it is drained; a second
 * signal while draining exits at once (an operator who presses Ctrl-C twice means it).
 * Installed before the server starts, so a signal during start-up waits for it, then stops.
 */
export function stopOnSignals(starting: Promise<Pick<RunningServer, 'stop'>>, logger: Logger): void {
  let stopping = false;
  const exit = (code: number) => logger.flush(() => process.exit(code));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for in-flight requests');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping: draining in-flight requests');
    starting
      .then((server) => server.stop())
      .then(
        () => {
          logger.info('stopped');
          exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'error while stopping');
          exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** `127.0.0.1:5000` or `[::1]:5000` (the schema has validated the shape). */
export function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(colon + 1)) };
}
