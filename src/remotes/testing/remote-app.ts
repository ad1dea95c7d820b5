// A real app with the scan gate on and pull-through remotes, for the remotes' module tests:
// SQLite and the filesystem store in a temp dir (as compose() builds them), a TestScanner
// and in-process workers, driven with app.inject(); upstreams are real registries. The admin
// API is on (with `remoteAppAdminToken`), so remotes can be made and synced through it too; two
// apps on one PostgreSQL database play two servers, and an app started again on the same data
// dir a restarted one.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { RemoteConfig } from '../../config/remote-schema.js';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { buildApp } from '../../http/app.js';
import type { Services } from '../../compose.js';
import type { ScanGate } from '../../quarantine/runtime.js';
import { gatedServices } from '../../quarantine/testing/gated-services.js';
import type { TestScanner } from '../../quarantine/testing/test-scanner.js';
import { createRemotes, remotesDepsOf, type Remotes, type RemotesDeps } from '../create.js';
import { RemoteSyncs } from '../remote-syncs.js';

export interface RemoteApp {
  app: FastifyInstance;
  services: Services;
  gate: ScanGate;
  scanner: TestScanner;
  remotes: Remotes;
  /** Syncs through the admin API; its workers run unless `syncWorkers: false`. */
  syncs: RemoteSyncs;
  close(): Promise<void>;
}

export type RemoteInput = Pick<RemoteConfig, 'name' | 'url'> & Partial<RemoteConfig>;

export interface RemoteAppOptions {
  /** The metadata database; default SQLite in the app's temp dir. */
  database?: ConfigInput['database'];
  /** The data dir, kept at close (start another app on it to play a restart); default a temp dir, removed at close. */
  dataDir?: string;
  /** How often the remotes are re-read from the database. */
  reload?: RemotesDeps['reload'];
  /** Run sync jobs in this app (default true); false plays a server whose jobs another process runs. */
  syncWorkers?: boolean;
}

/** The bearer token of the admin API of every RemoteApp. */
export const remoteAppAdminToken = 'remote-app-admin-token-0123456789abcdef';

/** The config of a remote test app: its remotes, a scanner that passes everything, fast retries. */
export function remoteAppConfig(dataDir: string, remotes: ConfigInput['remotes'], manifestWaitSeconds: number, database?: ConfigInput['database']) {
  return configSchema.parse({
    data: dataDir,
    ...(database ? { database } : {}),
    storage: { driver: 'filesystem', fsync: false },
    scanning: {
      manifestWaitSeconds,
      retry: { maxAttempts: 2, baseSeconds: 0.05, capSeconds: 0.1 },
      scanners: [{ name: 'test', kind: 'command', command: ['true', '{path}'] }],
    },
    remotes,
  });
}

export async function startRemoteApp(remotes: RemoteInput[], manifestWaitSeconds = 5, options: RemoteAppOptions = {}): Promise<RemoteApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'scangate-remote-')));
  const config = remoteAppConfig(dataDir, remotes.map((remote) => ({ kind: 'oci' as const, ...remote })), manifestWaitSeconds, options.database);
  const { services, logger, scanner, gate, arrivalScans, close } = await gatedServices(config, dataDir, options.dataDir !== undefined);
  const made = (await createRemotes(remotesDepsOf(config, services, gate, { logger, arrivalScans, ...(options.reload ? { reload: options.reload } : {}) })))!;
  const syncs = new RemoteSyncs({ remotes: made, store: services.remoteSyncs, queue: services.queue, logger });
  const admin = { token: remoteAppAdminToken, ...(made.admin ? { remotes: made.admin } : {}), remoteSyncs: syncs };
  const app = await buildApp({ ...services, config, logger, gatekeeper: gate.gatekeeper, remote: made.source, fileRemote: made.files.source, admin });
  // As serve does: the syncs stop before the gate and the remotes they use.
  app.addHook('onClose', () => syncs.stop());
  gate.startWorkers();
  if (options.syncWorkers !== false) syncs.startWorkers();
  return {
    app,
    services,
    gate,
    scanner,
    remotes: made,
    syncs,
    close: () => close(app, made),
  };
}

