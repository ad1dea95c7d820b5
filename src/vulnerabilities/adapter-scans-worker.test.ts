// `scangate worker` runs vulnerability scans too: with `serve` running no jobs
// (scanning.workers: false), a worker process's pools scan the pushed image for malware, then
// send it to the adapter with a token it signed (the keys are shared through the database),
// telling the adapter to pull from vulnerabilityScanning.registryUrl.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HarborTestAdapter } from '../../test/support/harbor-adapter.js';
import { configSchema, type ConfigInput } from '../config/schema.js';
import type { Digest } from '../domain/digest.js';
import { basic } from '../http/auth/testing/auth-app.js';
import { pushImage } from '../http/auth/testing/push-image.js';
import { startServer, type RunningServer } from '../main.js';
import { openDatabase } from '../metadata/database.js';
import { SqlVulnerabilityStore } from '../metadata/sql-vulnerability-store.js';
import { ThrowawayDatabasePool } from '../metadata/testing/pg-database.js';
import { startWorker, type RunningWorker } from '../worker.js';

const databases = new ThrowawayDatabasePool('scangate_test_adapter_worker');
const logger = pino({ level: 'silent' });
let adapter: HarborTestAdapter;
let server: RunningServer;
let worker: RunningWorker;
let dataDir: string;
let db: ReturnType<typeof openDatabase>;

beforeAll(async () => {
  adapter = await HarborTestAdapter.start({ refreshes: 1, refreshAfterSeconds: 0 });
  dataDir = await mkdtemp(join(tmpdir(), 'scangate-adapter-worker-'));
  const database = await databases.acquire();
  const config = (more: ConfigInput) =>
    configSchema.parse({
      data: dataDir,
      log: { level: 'silent' },
      database: { driver: 'postgres', url: database.url, poolSize: 4 },
      storage: { driver: 'filesystem', fsync: false },
      scanning: { scanners: [{ name: 'pass', kind: 'command', command: ['sh', '-c', 'exit 0', 'sh', '{path}'] }], workers: false },
      vulnerabilityScanners: [{ name: 'marker', url: adapter.url }],
      ...more,
    });
  server = await startServer(config({ listen: '127.0.0.1:0' }), logger);
  worker = await startWorker(config({ scanning: { scanners: [{ name: 'pass', kind: 'command', command: ['sh', '-c', 'exit 0', 'sh', '{path}'] }] }, vulnerabilityScanning: { registryUrl: server.url } }), logger);
  db = openDatabase({ driver: 'postgres', url: database.url, poolSize: 2 }, dataDir);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await adapter?.stop();
  await db?.destroy();
  await databases.dropAll();
  await rm(dataDir, { recursive: true, force: true });
});

it('a worker process scans pushed images through the adapter', async () => {
  const admin = basic('admin', (await readFile(join(dataDir, 'initial-admin-password'), 'utf8')).trim());
  // serve waits for the worker's malware verdicts, as a PUT always does.
  const { digest } = await pushImage(server.app, admin, 'lib/app', 'v1', { layer: 'CVE-2099-0005 high' });
  const findings = new SqlVulnerabilityStore(db);
  const deadline = Date.now() + 30_000;
  while ((await findings.findingsFor([digest as Digest])).length === 0) {
    if (Date.now() > deadline) throw new Error('no findings within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect((await findings.findingsFor([digest as Digest])).map((f) => [f.cve, f.severity])).toEqual([['CVE-2099-0005', 'high']]);
  expect(adapter.pulls.every((p) => p.status === 200)).toBe(true);
  expect(adapter.problems).toEqual([]);
}, 40_000);
