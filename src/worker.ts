// `scangate worker`: the scan workers and the rescan scheduler without the HTTP listener,
// on the configured database and blob store. Several of them (and `serve` with
// `scanning.workers: false`) share one queue: jobs are leased, so each runs once.
import type { Logger } from 'pino';
import { composeMigrated } from './compose.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { createScanGate } from './quarantine/runtime.js';

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
  try {
    const gate = await createScanGate({ ...services, store: services.quarantine, config, logger });
    stopGate = () => gate.stop();
    gate.startWorkers();
    logger.info(
      { data: services.dataDir, database: config.database.driver, scanners: gate.scanners.all.map((s) => s.name), concurrency: config.scanning.concurrency },
      'scangate worker started: running scan jobs and rescans (no HTTP listener)',
    );
  } catch (err) {
    await stopGate();
    await services.close();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    await stopGate();
    await services.close();
  };
  return { stop: () => (stopped ??= stop()) };
}
