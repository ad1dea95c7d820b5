// The scan campaign services a process needs, built once from config and the database's
// stores: the campaigns (start, stop, progress), the schedules (config + admin API), and the
// two questions they ask about scanners, answered by the live registry of scanner adapters
// (config file and admin API, with the namespaces' choices). Also the hook the registrations
// call for a scanner registered for the first time: scan everything stored with it.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { ScanCampaignStore } from '../ports/scan-campaign-store.js';
import type { ScanScheduleStore } from '../ports/scan-schedule-store.js';
import type { ScannerRegistrationStore } from '../ports/scanner-registration-store.js';
import type { AdapterRegistry } from './adapter-registry.js';
import type { ScannerChoice } from './campaign-walk.js';
import { ScanCampaigns, startRegistrationCampaign } from './scan-campaigns.js';
import { ScanSchedules } from './scan-schedules.js';
import { openScannerRegistry, type ScannerRegisteredListener } from './scanner-registrations.js';

export interface ScannerRegistry {
  /** The names of the registered scanners. */
  knownScanners(): readonly string[];
  /** The scanners that scan a repository. */
  scannersFor: ScannerChoice;
}

export interface CampaignServices extends ScannerRegistry {
  store: ScanCampaignStore;
  campaigns: ScanCampaigns;
  schedules: ScanSchedules;
}

export interface CampaignStores {
  scanCampaigns: ScanCampaignStore;
  scanSchedules: ScanScheduleStore;
  queue: Pick<JobQueue, 'enqueue'>;
}

/** Every adapter of the config, for every repository (tests, and processes without a registry). */
export function configuredScanners(config: Config): ScannerRegistry {
  const names = config.vulnerabilityScanners.map((scanner) => scanner.name);
  return { knownScanners: () => names, scannersFor: () => names };
}

/** The live registry's enabled scanners and choices; `registry()` is read at each call, so it may be opened after. */
export function registeredScanners(registry: () => Pick<AdapterRegistry, 'entries' | 'scannersFor'> | undefined): ScannerRegistry {
  return {
    knownScanners: () => (registry()?.entries() ?? []).filter((e) => e.scanner.enabled).map((e) => e.scanner.name),
    scannersFor: (repository) => registry()?.scannersFor(repository) ?? [],
  };
}

/**
 * The registrations' onScannerRegistered hook: a scanner registered for the first time (through
 * the admin API, or a config file's scanner never seen before) scans everything stored, a
 * campaign of scope `all` by it alone; off with vulnerabilityScanning.scanAllOnRegistration: false.
 */
export function scanAllOnRegistration(config: Config, campaigns: ScanCampaigns, logger: Logger): ScannerRegisteredListener {
  return async (name) => {
    if (!config.vulnerabilityScanning.scanAllOnRegistration) return;
    const campaign = await startRegistrationCampaign(campaigns, name);
    logger.info({ scanner: name, campaign: campaign.id }, 'scanning everything stored with a newly registered vulnerability scanner');
  };
}

/**
 * The live scanner registry and the campaigns over it, for serve and worker: the campaigns ask
 * the registry which scanners there are, and the registry announces new scanners to them.
 */
export async function openScannersAndCampaigns(
  config: Config,
  stores: CampaignStores & { scannerRegistrations: ScannerRegistrationStore },
  logger: Logger,
): Promise<{ registry: AdapterRegistry; campaigns: CampaignServices; onScannerRegistered: ScannerRegisteredListener }> {
  let registry: AdapterRegistry | undefined;
  const campaigns = createCampaignServices(config, stores, { registry: registeredScanners(() => registry) });
  const onScannerRegistered = scanAllOnRegistration(config, campaigns.campaigns, logger);
  registry = await openScannerRegistry({ config, store: stores.scannerRegistrations, onScannerRegistered, logger });
  return { registry, campaigns, onScannerRegistered };
}

export interface CampaignServicesOptions {
  /** Who is registered and scans what (default: configuredScanners). */
  registry?: ScannerRegistry;
  clock?: () => Date;
}

export function createCampaignServices(config: Config, stores: CampaignStores, options: CampaignServicesOptions = {}): CampaignServices {
  const registry = options.registry ?? configuredScanners(config);
  const limits = config.vulnerabilityScanning.campaigns;
  const campaigns = new ScanCampaigns({
    store: stores.scanCampaigns,
    queue: stores.queue,
    knownScanners: () => registry.knownScanners(),
    defaults: { maxInFlight: limits.maxInFlight, perMinute: limits.perMinute },
  });
  const schedules = new ScanSchedules({
    configured: config.vulnerabilityScanning.schedules,
    store: stores.scanSchedules,
    ticks: stores.scanCampaigns,
    campaigns,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { store: stores.scanCampaigns, campaigns, schedules, knownScanners: () => registry.knownScanners(), scannersFor: (repository) => registry.scannersFor(repository) };
}
