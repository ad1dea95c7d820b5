// The ReportSigningKeyStore on the metadata database (Kysely; SQLite and PostgreSQL): table
// report_signing_keys (migration 0014). Shares the Kysely instance and never closes it.
import type { Kysely } from 'kysely';
import type { NewReportSigningKey, ReportSigningKeyRecord, ReportSigningKeyStore } from '../ports/report-signing-key-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeSigningKey, encodeTimestamp } from './rows.js';
import type { MetadataTables } from './schema.js';

export class SqlReportSigningKeyStore implements ReportSigningKeyStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: { clock?: () => Date } = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async rotate(key: NewReportSigningKey): Promise<ReportSigningKeyRecord> {
    const now = encodeTimestamp(this.dialect, this.#clock());
    const row = { kid: key.kid, algorithm: key.algorithm, public_jwk: JSON.stringify(key.publicJwk), private_jwk: key.privateJwk, created_at: now, retired_at: null };
    await this.#db.transaction().execute(async (trx) => {
      await trx.updateTable('report_signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
      await trx.insertInto('report_signing_keys').values(row).execute();
    });
    return decodeSigningKey(row);
  }

  async current(): Promise<ReportSigningKeyRecord | undefined> {
    const row = await this.#db.selectFrom('report_signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    return row && decodeSigningKey(row);
  }

  async list(): Promise<ReportSigningKeyRecord[]> {
    const rows = await this.#db.selectFrom('report_signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(decodeSigningKey);
  }

  async delete(kid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('report_signing_keys').where('kid', '=', kid).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
