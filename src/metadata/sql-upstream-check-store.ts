// The UpstreamCheckStore on the metadata database (Kysely; SQLite and PostgreSQL): table
// upstream_checks (migration 0012). It shares the Kysely instance with the other stores.
import type { Kysely, Selectable } from 'kysely';
import type { UpstreamCheck, UpstreamCheckKind, UpstreamCheckStore } from '../ports/upstream-check-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables, UpstreamChecksTable } from './schema.js';

export class SqlUpstreamCheckStore implements UpstreamCheckStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>) {
    this.#db = db;
    this.dialect = dialectOf(db);
  }

  async getCheck(remote: string, kind: UpstreamCheckKind, subject: string): Promise<UpstreamCheck | undefined> {
    const row = await this.#db
      .selectFrom('upstream_checks')
      .selectAll()
      .where('remote', '=', remote)
      .where('kind', '=', kind)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row && decodeCheck(row);
  }

  async recordCheck(check: UpstreamCheck): Promise<void> {
    const values = {
      fingerprint: check.fingerprint,
      checked_at: encodeTimestamp(this.dialect, check.checkedAt),
      etag: check.etag,
      last_modified: check.lastModified,
    };
    await this.#db
      .insertInto('upstream_checks')
      .values({ remote: check.remote, kind: check.kind, subject: check.subject, ...values })
      .onConflict((oc) => oc.columns(['remote', 'kind', 'subject']).doUpdateSet(values))
      .execute();
  }

  async forgetCheck(remote: string, kind: UpstreamCheckKind, subject: string): Promise<void> {
    await this.#db.deleteFrom('upstream_checks').where('remote', '=', remote).where('kind', '=', kind).where('subject', '=', subject).execute();
  }

  async forgetRemoteChecks(remote: string): Promise<number> {
    const deleted = await this.#db.deleteFrom('upstream_checks').where('remote', '=', remote).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  }
}

function decodeCheck(row: Selectable<UpstreamChecksTable>): UpstreamCheck {
  return {
    remote: row.remote,
    kind: row.kind,
    subject: row.subject,
    fingerprint: row.fingerprint,
    checkedAt: decodeTimestamp(row.checked_at),
    etag: row.etag,
    lastModified: row.last_modified,
  };
}
