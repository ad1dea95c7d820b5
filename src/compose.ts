// The composition root: the one place that turns configuration into adapters. Drivers are
// picked from explicit maps (config value -> factory), never registered by side effect, so
// adding a driver means adding a schema variant and one line here.
import { join, resolve } from 'node:path';
import type { Config } from './config/schema.js';
import { openDatabase } from './metadata/database.js';
import { SqlMetadataStore } from './metadata/sql-metadata-store.js';
import type { BlobStore } from './ports/blob-store.js';
import type { MetadataStore } from './ports/metadata-store.js';
import { FilesystemBlobStore } from './storage/fs-blob-store.js';

/** A factory per driver value, each typed with the config variant of its own driver. */
type FactoryMap<C extends { driver: string }, R> = {
  [D in C['driver']]: (config: Extract<C, { driver: D }>, dataDir: string) => R;
};

export const storageDrivers: FactoryMap<Config['storage'], BlobStore> = {
  filesystem: (config, dataDir) => new FilesystemBlobStore({ root: config.path ?? join(dataDir, 'blobs'), fsync: config.fsync }),
};

export const databaseDrivers: FactoryMap<Config['database'], MetadataStore> = {
  sqlite: (config, dataDir) => new SqlMetadataStore(openDatabase(config, dataDir)),
  postgres: (config, dataDir) => new SqlMetadataStore(openDatabase(config, dataDir)),
};

export interface Services {
  /** The data directory, absolute. */
  dataDir: string;
  blobs: BlobStore;
  metadata: MetadataStore;
  /** Releases what the adapters hold (database connections). Idempotent. */
  close(): Promise<void>;
}

export function compose(config: Config): Services {
  const dataDir = resolve(config.data);
  const blobs = pick(storageDrivers, config.storage, dataDir);
  const metadata = pick(databaseDrivers, config.database, dataDir);
  let closed: Promise<void> | undefined;
  return { dataDir, blobs, metadata, close: () => (closed ??= metadata.close()) };
}

function pick<C extends { driver: string }, R>(factories: FactoryMap<C, R>, config: C, dataDir: string): R {
  // The map is total over C['driver'] (the type above makes it so), so the lookup cannot miss.
  const factory = factories[config.driver as C['driver']] as (config: C, dataDir: string) => R;
  return factory(config, dataDir);
}
