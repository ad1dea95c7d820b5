// The RemoteStore on the metadata database (Kysely; SQLite and PostgreSQL): table remotes
// (migration 0008). It shares the Kysely instance with the other stores and never closes it.
import type { Kysely, Selectable } from 'kysely';
import type { AnyRemoteConfig } from '../config/remote-schema.js';
import type { RemoteStore, StoredRemote } from '../ports/remote-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables, RemotesTable } from './schema.js';

export interface SqlRemoteStoreOptions {
  /** The clock that stamps created_at and updated_at (default: the system clock). */
  clock?: () => Date;
}

export class SqlRemoteStore implements RemoteStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlRemoteStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async listRemotes(): Promise<StoredRemote[]> {
    const rows = await this.#db.selectFrom('remotes').selectAll().orderBy('name').execute();
    return rows.map(decodeRemote);
  }

  async getRemote(name: string): Promise<StoredRemote | undefined> {
    const row = await this.#db.selectFrom('remotes').selectAll().where('name', '=', name).executeTakeFirst();
    return row && decodeRemote(row);
  }

  async createRemote(remote: AnyRemoteConfig, password: string | undefined, actor: string): Promise<StoredRemote | undefined> {
    const now = encodeTimestamp(this.dialect, this.#clock());
    const inserted = await this.#db
      .insertInto('remotes')
      .values({ name: remote.name, definition: JSON.stringify(remote), password: password ?? null, created_at: now, updated_at: now, updated_by: actor })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) return undefined;
    return this.getRemote(remote.name);
  }

  async updateRemote(remote: AnyRemoteConfig, password: string | null | undefined, actor: string): Promise<StoredRemote | undefined> {
    const updated = await this.#db
      .updateTable('remotes')
      .set({
        definition: JSON.stringify(remote),
        ...(password === undefined ? {} : { password }),
        updated_at: encodeTimestamp(this.dialect, this.#clock()),
        updated_by: actor,
      })
      .where('name', '=', remote.name)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return undefined;
    return this.getRemote(remote.name);
  }

  async deleteRemote(name: string): Promise<boolean> {
    const deleted = await this.#db.deleteFrom('remotes').where('name', '=', name).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }
}

function decodeRemote(row: Selectable<RemotesTable>): StoredRemote {
  return {
    remote: JSON.parse(row.definition) as AnyRemoteConfig,
    password: row.password ?? undefined,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
    updatedBy: row.updated_by,
  };
}
