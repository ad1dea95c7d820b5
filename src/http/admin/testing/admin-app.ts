// A real app with the admin API, identity and policy on (or off), for module tests driven
// with app.inject(): stores from compose() on SQLite in a temp dir, the scan gate with a
// TestScanner (its workers idle), the first-start admin, and every log line kept so tests
// can check that no secret reaches the log.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { IdentityAdmin } from '../../../auth/identity-admin.js';
import { compose, type Services } from '../../../compose.js';
import { configSchema, type ConfigInput } from '../../../config/schema.js';
import { assembleScanGate } from '../../../quarantine/runtime.js';
import { TestScanner } from '../../../quarantine/testing/test-scanner.js';
import { AdapterRegistry } from '../../../vulnerabilities/adapter-registry.js';
import { ScannerAdmin } from '../../../vulnerabilities/scanner-admin.js';
import { createCampaignServices, registeredScanners } from '../../../vulnerabilities/campaign-services.js';
import { createRemotes, remotesDepsOf } from '../../../remotes/create.js';
import { RemoteSyncs } from '../../../remotes/remote-syncs.js';
import { buildApp } from '../../app.js';
import type { AccessControl } from '../../auth/access-control.js';
import { createAccessControl } from '../../auth/create.js';

export interface AdminTestApp {
  app: FastifyInstance;
  services: Services;
  /** Absent when auth is off. */
  access?: AccessControl;
  adminToken: string;
  /** The first-start admin's password (auth on only). */
  adminPassword?: string;
  /** Every log line so far, as written. */
  logs(): string;
  close(): Promise<void>;
}


export async function startAdminTestApp(auth: ConfigInput['auth'] = {}): Promise<AdminTestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-admin-app-'));
  const config = configSchema.parse({
    data: dataDir,
    storage: { driver: 'filesystem', fsync: false },
    auth,
    scanning: { scanners: [{ name: 'test', kind: 'command', command: ['true', '{path}'] }] },
  });
  const services = compose(config);
  await services.metadata.migrate();
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const access = await createAccessControl(config, services.identity, dataDir, logger);
  const gateDeps = { config, dataDir, blobs: services.blobs, metadata: services.metadata, store: services.quarantine, queue: services.queue, logger };
  const gate = assembleScanGate(gateDeps, [new TestScanner('test')]);
  const adminToken = 'test-admin-token-0123456789abcdef0123';
  const remotes = (await createRemotes(remotesDepsOf(config, services, gate, { logger })))!;
  const remoteSyncs = new RemoteSyncs({ remotes, store: services.remoteSyncs, queue: services.queue, logger });
  const scanners = await AdapterRegistry.open({ configured: [], store: services.scannerRegistrations, logger, reloadIntervalMs: 0 });
  const app = await buildApp({
    ...services,
    config,
    logger,
    gatekeeper: gate.gatekeeper,
    admin: {
      token: adminToken,
      quarantine: { store: services.quarantine, admin: gate.admin!, blobs: services.blobs, queue: services.queue },
      vulnerabilities: services.vulnerabilities,
      reportSigningKeys: services.reportSigningKeys,
      identity: new IdentityAdmin(services.identity, access?.deps.tokens),
      remotes: remotes.admin!,
      remoteSyncs,
      vulnerabilityScanners: new ScannerAdmin({ registry: scanners, store: services.scannerRegistrations, onScannerRegistered: () => {}, logger }),
      scanCampaigns: createCampaignServices(config, services, { registry: registeredScanners(() => scanners) }),
      ...(access ? { access } : {}),
    },
    ...(access ? { access } : {}),
  });
  const adminPassword = access ? (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim() : undefined;
  return {
    app,
    services,
    ...(access ? { access } : {}),
    adminToken,
    ...(adminPassword !== undefined ? { adminPassword } : {}),
    logs: () => lines.join(''),
    async close() {
      await app.close();
      await gate.stop();
      await remotes.close();
      await scanners.close();
      await services.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
