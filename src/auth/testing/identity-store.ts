// An IdentityStore for module tests: the real SQL adapter on an in-memory SQLite database.
import { openDatabase } from '../../metadata/database.js';
import { migrateToLatest } from '../../metadata/migrations/index.js';
import { SqlIdentityStore } from '../../metadata/sql-identity-store.js';

export interface TestIdentityStore {
  store: SqlIdentityStore;
  close(): Promise<void>;
}

export async function openTestIdentityStore(clock?: () => Date): Promise<TestIdentityStore> {
  const db = openDatabase({ driver: 'sqlite', path: ':memory:' }, '.');
  await migrateToLatest(db, 'sqlite');
  return { store: new SqlIdentityStore(db, clock ? { clock } : {}), close: () => db.destroy() };
}
