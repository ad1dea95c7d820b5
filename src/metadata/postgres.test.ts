import { afterAll } from 'vitest';
import { openDatabase } from './database.js';
import { imageWalkSuite } from './image-walk.suite.js';
import { metadataStoreSuite, type MetadataStoreFactory } from './metadata-store.suite.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { ThrowawayDatabasePool } from './testing/pg-database.js';

const databases = new ThrowawayDatabasePool('scangate_test_metadata');
afterAll(() => databases.dropAll());

const factory: MetadataStoreFactory = async () => {
  const database = await databases.acquire();
  return {
    open: () => new SqlMetadataStore(openDatabase({ driver: 'postgres', url: database.url, poolSize: 4 }, '.'), { walkPageSize: 5 }),
    dispose: () => databases.release(database),
  };
};

metadataStoreSuite('PostgreSQL', factory);
imageWalkSuite('PostgreSQL', factory);
