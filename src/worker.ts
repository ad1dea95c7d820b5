// `scangate worker`: the scan workers, the rescan scheduler and the remotes' sync jobs without
// the HTTP listener, on the configured database and blob store. Several of them (and `serve`
// with `scanning.workers: false`) share one queue: jobs are leased, so each runs once.
import type { Logger } from 'pino';
import { composeMigrated, type Services } from './compose.js';
import type { Gatekeeper } from './quarantine/gatekeeper.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { createScanGate } from './quarantine/runtime.js';
import { RegistryTokenService } from './auth/token-service.js';
import { createAdapterScans, type AdapterScans } from './vulnerabilities/adapter-scans.js';
import { openScannersAndCampaigns } from './vulnerabilities/campaign-services.js';
import { createRemotes, remotesDepsOf, type Remotes } from './remotes/create.js';
import { RemoteSyncs } from './remotes/remote-syncs.js';
import { createEvents, type EventsRuntime } from './events/runtime.js';
import type { Events } from './ports/event-sink.js';

export interface RunningWorker {
  /** Stops claiming, lets running scans finish (then aborts them), closes the database. Idempotent. */
  stop(): Promise<void>;
}

export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  if (!config.scanning.enabled) {
    throw new ConfigError('the configuration', ['scanning.enabled: false leaves a worker nothing to do']);
  }
  const services = await composeMigrated(config);
  let stopGate = async () => {};
  let adapterScans: AdapterScans | undefined;
  let remotes: Remotes | undefined;
  let syncs: RemoteSyncs | undefined;
  let events: EventsRuntime | undefined;
  const stopAll = async () => {
    await syncs?.stop();
    await stopGate();
    await adapterScans?.stop();
    await remotes?.close();
    await events?.stop();
    await services.close();
  };
  try {
    // Scan events, and webhook deliveries run here too (docs/webhooks.md).
    events = await createEvents({ config, store: services.webhooks, queue: services.queue, logger });
    const gate = await createScanGate({ ...services, store: services.quarantine, config, logger, events: events.events });
    stopGate = () => gate.stop();
    gate.startWorkers();
    adapterScans = await startAdapterScans(config, services, gate.gatekeeper, logger, events.events);
    events.startDeliveries();
    // Syncs asked for through the admin API of any server on this database.
    remotes = await createRemotes(remotesDepsOf(config, services, gate, { logger }));
    syncs = remotes && new RemoteSyncs({ remotes, store: services.remoteSyncs, queue: services.queue, logger });
    syncs?.startWorkers();
    logger.info(
      { data: services.dataDir, database: config.database.driver, scanners: gate.scanners.all.map((s) => s.name), concurrency: config.scanning.concurrency },
      'scangate worker started: running scan jobs, rescans and remote syncs (no HTTP listener)',
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return { stop: () => (stopped ??= stopAll()) };
}

/**
 * Vulnerability scans through scanner adapters (the config file's and the admin API's). Without
 * a listener of its own, a worker needs vulnerabilityScanning.registryUrl to tell adapters
 * where to pull; without it, it runs none (and says so when scanners are registered).
 */
async function startAdapterScans(config: Config, services: Services, gate: Gatekeeper, logger: Logger, events: Events): Promise<AdapterScans | undefined> {
  const registryUrl = config.vulnerabilityScanning.registryUrl;
  const { registry, campaigns } = await openScannersAndCampaigns(config, services, logger);
  if (registryUrl === undefined) {
    if (registry.entries().length > 0) logger.warn('vulnerabilityScanning.registryUrl is not set: this worker runs no vulnerability scans (adapters would not know where to pull from)');
    await registry.close();
    return undefined;
  }
  const scans = createAdapterScans({
    config,
    registry,
    queue: services.queue,
    metadata: services.metadata,
    vulnerabilities: services.vulnerabilities,
    reports: services.vulnerabilityReports,
    gate,
    blobs: services.blobs,
    reportKeys: services.reportSigningKeys,
    // The signing keys live in the database: tokens signed here verify in every serve process.
    ...(config.auth.enabled ? { tokens: new RegistryTokenService(services.identity, { issuer: config.auth.service }) } : {}),
    campaigns,
    logger,
    events,
  });
  await scans.startWorkers(registryUrl);
  return scans;
}
