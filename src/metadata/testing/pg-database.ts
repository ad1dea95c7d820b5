// Throwaway PostgreSQL databases for tests: each test file gets a database of its own with
// a unique name, dropped afterwards, so files can run in parallel against one server.
// When PostgreSQL is not reachable this throws with a message that says so: the tests that
// need it fail, they never skip (scripts/test.sh starts PostgreSQL where it is not running).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server and role the tests use; SCANGATE_TEST_PG_URL points them elsewhere. */
export const testPostgresUrl = process.env['SCANGATE_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ThrowawayDatabase {
  readonly name: string;
  /** A connection URL for the database. */
  readonly url: string;
  /** Empties the database: drops and recreates the public schema, as if freshly created. */
  reset(): Promise<void>;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(prefix = 'scangate_test'): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(testPostgresUrl, (client) => createWithLocaleCollation(client, name));
  const url = databaseUrl(testPostgresUrl, name);
  return {
    name,
    url,
    reset: () => execute(url, 'drop schema public cascade; create schema public'),
    drop: () => dropWhenIdle(name),
  };
}

/**
 * Drops the database once its connections are gone (up to 3 s), then forcibly. A pool that
 * is still closing (its clients saying goodbye) would otherwise have a connection cut under
 * it, and pg reports that on the client as an error nobody is left to handle.
 */
async function dropWhenIdle(name: string): Promise<void> {
  await withClient(testPostgresUrl, async (client) => {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [name]);
      if (Number(rows[0]?.n ?? 0) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query(`drop database if exists ${name} with (force)`);
  });
}

/**
 * Creates the database with an ICU en-US default collation, as many production servers
 * have, so that a query which forgets byte order (COLLATE "C") fails in tests too; falls
 * back to the server's default where PostgreSQL was built without ICU.
 */
async function createWithLocaleCollation(client: pg.Client, name: string): Promise<void> {
  try {
    await client.query(`create database ${name} template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  } catch (error) {
    console.warn(`creating ${name} with an ICU collation failed (${String(error)}); using the server default`);
    await client.query(`create database ${name}`);
  }
}

async function execute(url: string, statements: string): Promise<void> {
  await withClient(url, (client) => client.query(statements));
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `PostgreSQL is not reachable at ${redact(url)} (${reason}). These tests need it and do not skip: ` +
        'start it (scripts/test.sh does) or point SCANGATE_TEST_PG_URL at a server.',
      { cause: error },
    );
  }
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * Hands out empty throwaway databases and takes them back emptied, so a suite that wants a
 * fresh database per test pays for a schema reset rather than CREATE and DROP DATABASE
 * (a DROP forces a checkpoint: about 0.3 s each here).
 */
export class ThrowawayDatabasePool {
  readonly #prefix: string;
  readonly #idle: ThrowawayDatabase[] = [];
  readonly #all: ThrowawayDatabase[] = [];

  constructor(prefix = 'scangate_test') {
    this.#prefix = prefix;
  }

  async acquire(): Promise<ThrowawayDatabase> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const database = await createThrowawayDatabase(this.#prefix);
    this.#all.push(database);
    return database;
  }

  /** Empties the database and keeps it for the next acquire(); its connections must be closed. */
  async release(database: ThrowawayDatabase): Promise<void> {
    await database.reset();
    this.#idle.push(database);
  }

  async dropAll(): Promise<void> {
    const all = this.#all.splice(0);
    this.#idle.length = 0;
    await Promise.all(all.map((database) => database.drop()));
  }
}
