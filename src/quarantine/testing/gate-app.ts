// A real app with the scan gate on, for module tests: SQLite stores and the filesystem
// blob store in a temp dir (as compose() builds them), a TestScanner, in-process workers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { compose, type Services } from '../../compose.js';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { buildApp } from '../../http/app.js';
import { assembleScanGate, type ScanGate } from '../runtime.js';
import { TestScanner } from './test-scanner.js';

export interface GateApp {
  app: FastifyInstance;
  services: Services;
  gate: ScanGate;
  /** The first scanner (named `test`). */
  scanner: TestScanner;
  scanners: TestScanner[];
  adminToken: string;
  close(): Promise<void>;
}

export async function startGateApp(scanning: ConfigInput['scanning'] = {}, scannerNames: string[] = ['test']): Promise<GateApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-gate-'));
  const config = configSchema.parse({
    data: dataDir,
    storage: { driver: 'filesystem', fsync: false },
    scanning: {
      manifestWaitSeconds: 5,
      retry: { maxAttempts: 2, baseSeconds: 0.05, capSeconds: 0.1 },
      // Named in the config so `require` validates; the TestScanners below stand in for them.
      scanners: scannerNames.map((name) => ({ name, kind: 'command', command: ['true', '{path}'] })),
      ...scanning,
    },
  });
  const services = compose(config);
  await services.metadata.migrate();
  const logger = pino({ level: 'silent' });
  const scanners = scannerNames.map((name) => new TestScanner(name));
  const gate = assembleScanGate(
    { config, dataDir, blobs: services.blobs, metadata: services.metadata, store: services.quarantine, queue: services.queue, logger },
    scanners,
  );
  const adminToken = 'test-admin-token-0123456789abcdef0123';
  const app = await buildApp({
    ...services,
    config,
    logger,
    gatekeeper: gate.gatekeeper,
    admin: { token: adminToken, quarantine: { store: services.quarantine, admin: gate.admin!, blobs: services.blobs, queue: services.queue } },
  });
  gate.startWorkers();
  return {
    app,
    services,
    gate,
    scanner: scanners[0]!,
    scanners,
    adminToken,
    async close() {
      await app.close();
      await gate.stop();
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
