// The ScanScheduleStore on the metadata database (Kysely; SQLite and PostgreSQL): table
// vulnerability_scan_schedules (migration 0016), one row per schedule made through the admin
// API, its definition as JSON. Shares the Kysely instance with the other stores and never closes it.
import type { Kysely, Selectable } from 'kysely';
import { formatScanScope } from '../domain/scan-scope.js';
import type { ScanScheduleDefinition, ScanScheduleStore, StoredScanSchedule } from '../ports/scan-schedule-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, encodeTimestamp } from './rows.js';
import { decodeScope } from './scan-campaign-rows.js';
import type { MetadataTables, ScanSchedulesTable } from './schema.js';

export interface SqlScanScheduleStoreOptions {
  /** The clock that stamps created_at and updated_at (default: the system clock). */
  clock?: () => Date;
}

const schedules = 'vulnerability_scan_schedules' as const;

export class SqlScanScheduleStore implements ScanScheduleStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlScanScheduleStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async listSchedules(): Promise<StoredScanSchedule[]> {
    const rows = await this.#db.selectFrom(schedules).selectAll().orderBy('name').execute();
    return rows.map(decodeSchedule);
  }

  async getSchedule(name: string): Promise<StoredScanSchedule | undefined> {
    const row = await this.#db.selectFrom(schedules).selectAll().where('name', '=', name).executeTakeFirst();
    return row && decodeSchedule(row);
  }

  async createSchedule(schedule: ScanScheduleDefinition, actor: string): Promise<StoredScanSchedule | undefined> {
    const now = encodeTimestamp(this.dialect, this.#clock());
    const inserted = await this.#db
      .insertInto(schedules)
      .values({ name: schedule.name, definition: encodeDefinition(schedule), created_at: now, updated_at: now, updated_by: actor })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) return undefined;
    return this.getSchedule(schedule.name);
  }

  async updateSchedule(schedule: ScanScheduleDefinition, actor: string): Promise<StoredScanSchedule | undefined> {
    const updated = await this.#db
      .updateTable(schedules)
      .set({ definition: encodeDefinition(schedule), updated_at: encodeTimestamp(this.dialect, this.#clock()), updated_by: actor })
      .where('name', '=', schedule.name)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return undefined;
    return this.getSchedule(schedule.name);
  }

  async deleteSchedule(name: string): Promise<boolean> {
    const deleted = await this.#db.deleteFrom(schedules).where('name', '=', name).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }
}

function encodeDefinition(schedule: ScanScheduleDefinition): string {
  return JSON.stringify({ ...schedule, scope: formatScanScope(schedule.scope) });
}

function decodeSchedule(row: Selectable<ScanSchedulesTable>): StoredScanSchedule {
  const stored = JSON.parse(row.definition) as Omit<ScanScheduleDefinition, 'scope'> & { scope: string };
  return {
    schedule: { ...stored, scope: decodeScope(stored.scope) },
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
    updatedBy: row.updated_by,
  };
}
