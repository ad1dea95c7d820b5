// The RemoteSyncStore on the metadata database (Kysely; SQLite and PostgreSQL): table
// remote_syncs (migration 0013). One unfinished sync per remote is the unique index on
// active_remote: an insert that collides means one runs, and that one is returned. Every write
// after the start is conditioned on the sync being unfinished, so a late write of an attempt
// that lost its lease cannot reopen a finished sync.
import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  FinishedSync,
  NewRemoteSync,
  RemoteSyncProgress,
  RemoteSyncRecord,
  RemoteSyncSelection,
  RemoteSyncStore,
} from '../ports/remote-sync-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeSize, decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables, RemoteSyncsTable } from './schema.js';

export interface SqlRemoteSyncStoreOptions {
  /** The clock that stamps the records (default: the system clock). */
  clock?: () => Date;
}

const noProgress: RemoteSyncProgress = { itemsTotal: 0, itemsDone: 0, itemsFailed: 0, bytesTotal: 0, bytesDone: 0, current: null };

export class SqlRemoteSyncStore implements RemoteSyncStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlRemoteSyncStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async createSync(sync: NewRemoteSync): Promise<{ sync: RemoteSyncRecord; created: boolean }> {
    for (;;) {
      const now = this.#now();
      const inserted = await this.#db
        .insertInto('remote_syncs')
        .values({
          id: sync.id,
          remote: sync.remote,
          active_remote: sync.remote,
          selection: JSON.stringify(sync.selection),
          state: 'queued',
          requested_by: sync.requestedBy,
          created_at: now,
          started_at: null,
          finished_at: null,
          updated_at: now,
          attempts: 0,
          ...progressColumns(noProgress),
          outcomes: '{}',
          problems: '[]',
          error: null,
          job_id: null,
        })
        .onConflict((oc) => oc.column('active_remote').doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return { sync: (await this.getSync(sync.id))!, created: true };
      // The unfinished one may finish between the insert and this read: then insert again.
      const active = await this.activeSync(sync.remote);
      if (active) return { sync: active, created: false };
    }
  }

  async getSync(id: string): Promise<RemoteSyncRecord | undefined> {
    const row = await this.#db.selectFrom('remote_syncs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && decodeSync(row);
  }

  async activeSync(remote: string): Promise<RemoteSyncRecord | undefined> {
    const row = await this.#db.selectFrom('remote_syncs').selectAll().where('active_remote', '=', remote).executeTakeFirst();
    return row && decodeSync(row);
  }

  async listSyncs(remote: string, limit: number): Promise<RemoteSyncRecord[]> {
    const rows = await this.#db
      .selectFrom('remote_syncs')
      .selectAll()
      .where('remote', '=', remote)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(decodeSync);
  }

  async setJob(id: string, jobId: string): Promise<void> {
    await this.#db.updateTable('remote_syncs').set({ job_id: jobId, updated_at: this.#now() }).where('id', '=', id).execute();
  }

  async markRunning(id: string): Promise<boolean> {
    const now = this.#now();
    const updated = await this.#db
      .updateTable('remote_syncs')
      .set({
        state: 'running',
        attempts: sql<number>`attempts + 1`,
        started_at: sql`coalesce(started_at, ${now})`,
        updated_at: now,
        ...progressColumns(noProgress),
      })
      .where('id', '=', id)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  async recordProgress(id: string, progress: RemoteSyncProgress): Promise<void> {
    await this.#db
      .updateTable('remote_syncs')
      .set({ ...progressColumns(progress), updated_at: this.#now() })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .execute();
  }

  async markRetrying(id: string, error: string): Promise<void> {
    await this.#db.updateTable('remote_syncs').set({ state: 'queued', error, updated_at: this.#now() }).where('id', '=', id).where('finished_at', 'is', null).execute();
  }

  async finishSync(id: string, finished: FinishedSync): Promise<boolean> {
    const now = this.#now();
    const updated = await this.#db
      .updateTable('remote_syncs')
      .set({
        state: finished.state,
        active_remote: null,
        finished_at: now,
        updated_at: now,
        ...(finished.progress ? progressColumns(finished.progress) : {}),
        ...(finished.outcomes ? { outcomes: JSON.stringify(finished.outcomes) } : {}),
        ...(finished.problems ? { problems: JSON.stringify(finished.problems) } : {}),
        ...(finished.error !== undefined ? { error: finished.error } : {}),
      })
      .where('id', '=', id)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  }

  async pruneSyncs(before: Date): Promise<number> {
    const deleted = await this.#db
      .deleteFrom('remote_syncs')
      .where('finished_at', 'is not', null)
      .where('finished_at', '<', encodeTimestamp(this.dialect, before))
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }

  #now(): Date | number {
    return encodeTimestamp(this.dialect, this.#clock());
  }
}

function progressColumns(progress: RemoteSyncProgress) {
  return {
    items_total: progress.itemsTotal,
    items_done: progress.itemsDone,
    items_failed: progress.itemsFailed,
    bytes_total: progress.bytesTotal,
    bytes_done: progress.bytesDone,
    current_item: progress.current,
  };
}

function decodeSync(row: Selectable<RemoteSyncsTable>): RemoteSyncRecord {
  const moment = (value: Date | number | string | null) => (value === null ? null : decodeTimestamp(value));
  return {
    id: row.id,
    remote: row.remote,
    selection: JSON.parse(row.selection) as RemoteSyncSelection,
    state: row.state,
    requestedBy: row.requested_by,
    createdAt: decodeTimestamp(row.created_at),
    startedAt: moment(row.started_at),
    finishedAt: moment(row.finished_at),
    updatedAt: decodeTimestamp(row.updated_at),
    attempts: Number(row.attempts),
    progress: {
      itemsTotal: Number(row.items_total),
      itemsDone: Number(row.items_done),
      itemsFailed: Number(row.items_failed),
      bytesTotal: decodeSize(row.bytes_total),
      bytesDone: decodeSize(row.bytes_done),
      current: row.current_item,
    },
    outcomes: JSON.parse(row.outcomes) as Record<string, number>,
    problems: JSON.parse(row.problems) as RemoteSyncRecord['problems'],
    error: row.error,
    jobId: row.job_id,
  };
}
