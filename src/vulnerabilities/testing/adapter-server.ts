// A real scangate server for tests of vulnerability scanning: listening on a loopback port,
// on a throwaway PostgreSQL database, with a malware scanner that passes everything (so the
// gate still runs and holds content until then), one Harbor test adapter registered as
// `marker`, and the first-start admin's Basic header. Plus a second connection to the
// database for the test's own looks, and `until` to poll for what the workers do.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { HarborTestAdapter } from '../../../test/support/harbor-adapter.js';
import { configSchema } from '../../config/schema.js';
import { basic } from '../../http/auth/testing/auth-app.js';
import { startServer, type RunningServer } from '../../main.js';
import { openDatabase } from '../../metadata/database.js';
import type { ThrowawayDatabasePool } from '../../metadata/testing/pg-database.js';

export interface AdapterServer {
  server: RunningServer;
  /** The admin's `Authorization` header. */
  admin: string;
  /** Another connection to the server's database (closed by stop()). */
  db: ReturnType<typeof openDatabase>;
  databaseUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startAdapterServer(databases: ThrowawayDatabasePool, adapter: HarborTestAdapter, options: { maxAttempts: number }): Promise<AdapterServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-adapter-server-'));
  const database = await databases.acquire();
  const config = configSchema.parse({
    listen: '127.0.0.1:0',
    data: dataDir,
    log: { level: 'silent' },
    database: { driver: 'postgres', url: database.url, poolSize: 4 },
    storage: { driver: 'filesystem', fsync: false },
    scanning: { scanners: [{ name: 'pass', kind: 'command', command: ['sh', '-c', 'exit 0', 'sh', '{path}'] }], retry: { maxAttempts: options.maxAttempts, baseSeconds: 0.2, capSeconds: 1 } },
    vulnerabilityScanners: [{ name: 'marker', url: adapter.url }],
    // No scan of everything at the first start: the tests count the scans they cause (campaigns have tests of their own).
    vulnerabilityScanning: { timeoutSeconds: 30, scanAllOnRegistration: false },
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  const admin = basic('admin', (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim());
  const db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 2 }, dataDir);
  return {
    server,
    admin,
    db,
    databaseUrl: database.url,
    dataDir,
    async stop() {
      await server.stop();
      await db.destroy();
      await databases.release(database);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` (every 200 ms) until it answers something, or fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
