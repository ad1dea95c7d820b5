// The stores, a scan gate over one TestScanner and the scan-while-arriving that the remotes'
// test apps share: composed and migrated like `serve`, with a silent logger. `close` stops
// in the order `serve` does (app first, then the gate, what was built on top, the stores)
// and removes the data dir, unless the caller keeps it (an app started again on it: a restart).
import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { composeMigrated, type Services } from '../../compose.js';
import type { Config } from '../../config/schema.js';
import { ArrivalScans } from '../arrival-scans.js';
import { assembleScanGate, type ScanGate } from '../runtime.js';
import { TestScanner } from './test-scanner.js';
import type { Events } from '../../ports/event-sink.js';

export interface GatedServices {
  services: Services;
  logger: Logger;
  scanner: TestScanner;
  gate: ScanGate;
  arrivalScans: ArrivalScans;
  /** Closes `app`, the gate, `built` (remotes), the stores, and removes `dataDir` (unless kept). */
  close(app: FastifyInstance, built: { close(): Promise<void> }): Promise<void>;
}

/** `events`: where the gate's events go (default: nowhere). */
export async function gatedServices(config: Config, dataDir: string, keepDataDir = false, events?: Events): Promise<GatedServices> {
  const services = await composeMigrated(config);
  const logger = pino({ level: 'silent' });
  const scanner = new TestScanner('test');
  const gate = assembleScanGate(
    { config, dataDir, blobs: services.blobs, metadata: services.metadata, store: services.quarantine, queue: services.queue, logger, ...(events ? { events } : {}) },
    [scanner],
  );
  const arrivalScans = new ArrivalScans({ scanners: gate.scanners, store: services.quarantine, logger, limit: config.scanning.concurrency });
  return {
    services,
    logger,
    scanner,
    gate,
    arrivalScans,
    async close(app, built) {
      await app.close();
      await gate.stop();
      await built.close();
      await services.close();
      if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
