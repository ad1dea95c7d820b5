// A real app for module tests: filesystem blob store and SQLite metadata in a temp dir,
// driven with app.inject(). No mocks: the same adapters as production, minus the socket.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { configSchema, type ConfigInput } from '../../config/schema.js';
import { openDatabase } from '../../metadata/database.js';
import { SqlMetadataStore } from '../../metadata/sql-metadata-store.js';
import { FilesystemBlobStore } from '../../storage/fs-blob-store.js';
import { buildApp, type AppDeps } from '../app.js';

export interface TestApp {
  app: FastifyInstance;
  dataDir: string;
  blobs: FilesystemBlobStore;
  metadata: SqlMetadataStore;
  close(): Promise<void>;
}

export async function startTestApp(overrides: Partial<ConfigInput> = {}, deps: Pick<AppDeps, 'metrics' | 'bucketEvents'> = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-app-'));
  const config = configSchema.parse({ data: dataDir, storage: { driver: 'filesystem', fsync: false }, ...overrides });
  const blobs = new FilesystemBlobStore({ root: join(dataDir, 'blobs'), fsync: false });
  const metadata = new SqlMetadataStore(openDatabase(config.database, dataDir));
  await metadata.migrate();
  const app = await buildApp({ config, blobs, metadata, logger: pino({ level: 'silent' }), ...deps });
  return {
    app,
    dataDir,
    blobs,
    metadata,
    async close() {
      await app.close();
      await metadata.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
