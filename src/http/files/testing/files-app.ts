// A real app for the file store's module tests, driven with app.inject(): the stores from
// compose() on SQLite in a temp dir (the file store among them), the scan gate with a
// TestScanner and its workers running, and identity and policy when `auth` is on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { hashPassword } from '../../../auth/passwords.js';
import { composeMigrated, type Services } from '../../../compose.js';
import { configSchema, type ConfigInput } from '../../../config/schema.js';
import type { QuarantineAdmin } from '../../../quarantine/admin-actions.js';
import { assembleScanGate } from '../../../quarantine/runtime.js';
import { holdScans } from '../../../quarantine/testing/hold-scans.js';
import { TestScanner } from '../../../quarantine/testing/test-scanner.js';
import { buildApp } from '../../app.js';
import { basic } from '../../auth/testing/auth-app.js';
import { createAccessControl } from '../../auth/create.js';

export interface FilesApp {
  app: FastifyInstance;
  services: Services;
  /** The first scanner (named `test` unless `scanners` names others). */
  scanner: TestScanner;
  scanners: TestScanner[];
  /** The quarantine's admin actions (release, rescan). */
  quarantine: QuarantineAdmin;
  /** Holds every scan until the returned function is called: uploads stay pending meanwhile. */
  holdScans(): () => void;
  /** A user with these role bindings (auth on only); returns its Basic header. */
  addUser(name: string, bindings: { namespace: string; role: string }[]): Promise<string>;
  close(): Promise<void>;
}

export interface FilesAppOptions {
  auth?: ConfigInput['auth'];
  scanning?: ConfigInput['scanning'];
  /** The TestScanners' names; default one, `test`. */
  scanners?: string[];
}

export async function startFilesApp(options: FilesAppOptions = {}): Promise<FilesApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-files-app-'));
  const names = options.scanners ?? ['test'];
  const config = configSchema.parse({
    data: dataDir,
    storage: { driver: 'filesystem', fsync: false },
    auth: options.auth ?? { enabled: false },
    scanning: {
      manifestWaitSeconds: 5,
      retry: { maxAttempts: 2, baseSeconds: 0.05, capSeconds: 0.1 },
      // Named in the config so `require` validates; the TestScanners below stand in for them.
      scanners: names.map((name) => ({ name, kind: 'command', command: ['true', '{path}'] })),
      ...options.scanning,
    },
  });
  const services = await composeMigrated(config);
  const logger = pino({ level: 'silent' });
  const access = await createAccessControl(config, services.identity, dataDir, logger);
  const scanners = names.map((name) => new TestScanner(name));
  const scanner = scanners[0]!;
  const gate = assembleScanGate({ config, dataDir, blobs: services.blobs, metadata: services.metadata, store: services.quarantine, queue: services.queue, logger }, scanners);
  const app = await buildApp({ ...services, config, logger, gatekeeper: gate.gatekeeper, ...(access ? { access } : {}) });
  gate.startWorkers();
  return {
    app,
    services,
    scanner,
    scanners,
    quarantine: gate.admin!,
    holdScans: () => holdScans(scanner),
    async addUser(name, bindings) {
      const password = `${name}-password-0123456789`;
      await services.identity.createUser({ name, passwordHash: await hashPassword(password) }, bindings);
      return basic(name, password);
    },
    async close() {
      await app.close();
      await gate.stop();
      await access?.close();
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
