// Opens the metadata database: SQLite (embedded default) or PostgreSQL, both through
// Kysely. Queries are written once for both; where a dialect must differ (column types in
// migrations, timestamp encoding), code branches on `dialectOf(db)`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import type { Config } from '../config/schema.js';
import type { MetadataTables } from './schema.js';

export type DialectKind = Config['database']['driver'];

/** How long a SQLite writer waits for another process's write lock before SQLITE_BUSY. */
export const sqliteBusyTimeoutMs = 10_000;

/** The default SQLite file under the data directory. */
export const defaultSqliteFile = 'scangate.db';

export function openDatabase(config: Config['database'], dataDir: string): Kysely<MetadataTables> {
  if (config.driver === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize });
    return new Kysely<MetadataTables>({ dialect: new PostgresDialect({ pool }) });
  }
  const file = config.path ?? join(dataDir, defaultSqliteFile);
  return new Kysely<MetadataTables>({ dialect: new ScangateSqliteDialect({ database: openSqliteFile(file) }) });
}

/** The SQLite file a config opens (undefined for PostgreSQL and for an in-memory database). */
export function sqliteFileOf(config: Config['database'], dataDir: string): string | undefined {
  if (config.driver !== 'sqlite') return undefined;
  const file = config.path ?? join(dataDir, defaultSqliteFile);
  return file === ':memory:' ? undefined : file;
}

/** Which SQL dialect a Kysely instance speaks, for the few queries that must branch. */
export function dialectOf(db: Kysely<any>): DialectKind {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new TypeError(`unsupported Kysely dialect adapter: ${adapter.constructor.name}`);
}

function openSqliteFile(file: string): SqliteDatabase.Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  try {
    // WAL: readers never block the writer. NORMAL: commits do not fsync on the event loop;
    // what is acknowledged is made durable by MetadataStore.sync() (wal-sync.ts), one shared
    // fdatasync of the WAL off the main thread, so an acknowledged push survives a power cut.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`);
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  return sqlite;
}

/**
 * Kysely's SQLite dialect with two changes that matter when more than one process opens the
 * same file (the server and `scangate fsck`, or several servers starting at once):
 * - transactions start with BEGIN IMMEDIATE, so a writer takes the write lock up front and
 *   waits for it under busy_timeout; a deferred BEGIN that reads first and writes later
 *   gets SQLITE_BUSY at once, without waiting, when another process wrote in between;
 * - DDL is declared transactional (it is, in SQLite), so the Migrator runs each pending
 *   migration batch in one such transaction: a second process waits, then finds it done.
 */
class ScangateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): SqliteDriver {
    return new ImmediateTransactionSqliteDriver(this.#config);
  }

  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateTransactionSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
