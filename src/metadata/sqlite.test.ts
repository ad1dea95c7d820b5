import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';
import { imageWalkSuite } from './image-walk.suite.js';
import { metadataStoreSuite, type MetadataStoreFactory } from './metadata-store.suite.js';
import { SqlMetadataStore } from './sql-metadata-store.js';

const factory: MetadataStoreFactory = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scangate-sqlite-'));
  return {
    open: () => new SqlMetadataStore(openDatabase({ driver: 'sqlite' }, dir), { walkPageSize: 5 }),
    noConcurrentStoresReason:
      'better-sqlite3 is synchronous: a second connection in this process would block the event loop the first one needs to finish; ' +
      'several processes migrating at once is covered by sqlite-processes.test.ts',
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
};

metadataStoreSuite('SQLite', factory);
imageWalkSuite('SQLite', factory);
