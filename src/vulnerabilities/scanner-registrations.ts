// Start-up of the scanner registrations in serve and worker: the config file's scanners (with
// `--adapter`'s) are recorded in the database, so that the system knows which scanners it has
// seen before, and a scanner seen for the first time is announced to `onScannerRegistered`
// (the hook of the scan of everything stored when a scanner is registered); then the live
// registry is opened over the file and the database.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ScannerRegistrationStore, ScannerSource } from '../ports/scanner-registration-store.js';
import { AdapterRegistry, type AdapterRegistryOptions } from './adapter-registry.js';
import { splitSecret } from './scanner-secret.js';

/**
 * Called once per scanner, when it is registered for the first time: made through the admin
 * API, or a config file's scanner never seen before at start (not on a restart, not on a
 * change). Awaited; a failure is logged, the registration stands. Make it quick and durable
 * (queue a job): a crash right after the registration is recorded skips it.
 */
export type ScannerRegisteredListener = (name: string, source: ScannerSource) => void | Promise<void>;

export interface ScannerRegistryDeps {
  config: Config;
  store: ScannerRegistrationStore;
  onScannerRegistered: ScannerRegisteredListener;
  logger: Logger;
  /** Overrides for tests (reload interval, client options). */
  options?: Partial<AdapterRegistryOptions>;
}

/** Records the config's scanners, then opens the registry; a config secret file that cannot be read stops the start. */
export async function openScannerRegistry(deps: ScannerRegistryDeps): Promise<AdapterRegistry> {
  const { config, store, logger } = deps;
  await recordConfiguredScanners(store, config.vulnerabilityScanners, deps.onScannerRegistered, logger);
  const registry = await AdapterRegistry.open({
    configured: config.vulnerabilityScanners,
    configuredNamespaces: config.vulnerabilityScanning.namespaces,
    store,
    logger,
    // A replaced client serves the scans that hold it until they time out.
    retireAfterMs: config.vulnerabilityScanning.timeoutSeconds * 1000 + 60_000,
    ...deps.options,
  });
  try {
    await registry.checkConfigured();
  } catch (err) {
    await registry.close();
    throw err;
  }
  return registry;
}

export async function recordConfiguredScanners(
  store: ScannerRegistrationStore,
  configured: Config['vulnerabilityScanners'],
  onScannerRegistered: ScannerRegisteredListener,
  logger: Logger,
): Promise<void> {
  for (const full of configured) {
    const { created } = await store.recordConfigured(splitSecret(full).scanner);
    if (created) await announceRegistered(onScannerRegistered, full.name, 'config', logger);
  }
}

export async function announceRegistered(listener: ScannerRegisteredListener, name: string, source: ScannerSource, logger: Logger): Promise<void> {
  logger.info({ scanner: name, source }, 'vulnerability scanner registered for the first time');
  try {
    await listener(name, source);
  } catch (err) {
    logger.error({ err, scanner: name }, 'the listener of new vulnerability scanners failed; the registration stands');
  }
}
