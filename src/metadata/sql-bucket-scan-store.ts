// The BucketScanStore on the metadata database (Kysely; SQLite and PostgreSQL): tables
// bucket_objects and bucket_verdicts (migration 0017). It shares the Kysely instance with the
// other stores and never closes it.
//
// A claim is one short transaction: insert the row if it is new, read it (FOR UPDATE on
// PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), decide, update. Time comes from
// the application's clock, as in the job queue, so tests can expire leases.
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type {
  BucketObjectRecord,
  BucketScanStore,
  BucketVerdictRecord,
  ClaimOptions,
  ClaimOutcome,
  DecidedStatus,
  ObjectVersionRef,
} from '../ports/bucket-scan-store.js';
import { decidedStatuses, isDecided, keyAtEtag } from '../ports/bucket-scan-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { chunks, decodeTimestamp, decodeVerdictColumns, encodeTimestamp, encodeVerdictColumns } from './rows.js';
import type { BucketObjectsTable, BucketVerdictsTable, MetadataTables } from './schema.js';

export interface SqlBucketScanStoreOptions {
  clock?: () => Date;
}

const maxErrorLength = 2000;
/** Keys per query of decidedAmong (well under every dialect's bound-parameter limit). */
const keysPerQuery = 500;

export class SqlBucketScanStore implements BucketScanStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlBucketScanStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async get(ref: ObjectVersionRef): Promise<BucketObjectRecord | undefined> {
    const row = await this.#db.selectFrom('bucket_objects').selectAll().where(whereRef(ref)).executeTakeFirst();
    return row && decodeObject(row);
  }

  async claim(ref: ObjectVersionRef, owner: string, leaseMs: number, options: ClaimOptions = {}): Promise<ClaimOutcome> {
    const now = this.#clock();
    const stamp = this.#time(now);
    return this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('bucket_objects')
        .values({
          bucket: ref.bucket,
          object_key: ref.key,
          etag: ref.etag,
          status: 'scanning',
          attempts: 0,
          failures: 0,
          abandoned: 0,
          created_at: stamp,
          updated_at: stamp,
        })
        .onConflict((oc) => oc.columns(['bucket', 'object_key', 'etag']).doNothing())
        .execute();
      const select = trx.selectFrom('bucket_objects').selectAll().where(whereRef(ref));
      const row = await (this.dialect === 'postgres' ? select.forUpdate() : select).executeTakeFirstOrThrow();
      const record = decodeObject(row);
      if (isDecided(record.status) && !options.again) return { kind: 'decided', record };
      const held = record.leaseOwner !== null && record.leaseUntil !== null;
      if (held && record.leaseUntil!.getTime() > now.getTime()) return { kind: 'busy', record };
      const claimed = await trx
        .updateTable('bucket_objects')
        .set({
          status: 'scanning',
          attempts: sql`attempts + 1`,
          // A lease that ran out with its owner still on it: that worker died mid-work.
          abandoned: held ? sql`abandoned + 1` : sql`abandoned`,
          lease_owner: owner,
          lease_until: this.#time(new Date(now.getTime() + leaseMs)),
          updated_at: stamp,
        })
        .where(whereRef(ref))
        .returningAll()
        .executeTakeFirstOrThrow();
      return { kind: 'claimed', record: decodeObject(claimed) };
    });
  }

  async renew(ref: ObjectVersionRef, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.#clock();
    const result = await this.#db
      .updateTable('bucket_objects')
      .set({ lease_until: this.#time(new Date(now.getTime() + leaseMs)), updated_at: this.#time(now) })
      .where(whereRef(ref))
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async decide(ref: ObjectVersionRef, _owner: string, status: DecidedStatus, result: unknown): Promise<void> {
    // Whoever holds it now: a decision on these bytes is right whoever reaches it.
    await this.#db
      .updateTable('bucket_objects')
      .set({ status, result: JSON.stringify(result), published_at: null, last_error: null, lease_owner: null, lease_until: null, updated_at: this.#time(this.#clock()) })
      .where(whereRef(ref))
      .execute();
  }

  async fail(ref: ObjectVersionRef, owner: string, error: string): Promise<void> {
    // Only the holder records its failure: a version decided since by another worker stays decided.
    await this.#db
      .updateTable('bucket_objects')
      .set({
        status: 'error',
        failures: sql`failures + 1`,
        last_error: error.length <= maxErrorLength ? error : `${error.slice(0, maxErrorLength - 1)}…`,
        lease_owner: null,
        lease_until: null,
        updated_at: this.#time(this.#clock()),
      })
      .where(whereRef(ref))
      .where('lease_owner', '=', owner)
      .execute();
  }

  async release(ref: ObjectVersionRef, owner: string): Promise<void> {
    await this.#db
      .updateTable('bucket_objects')
      .set({ lease_owner: null, lease_until: null, updated_at: this.#time(this.#clock()) })
      .where(whereRef(ref))
      .where('lease_owner', '=', owner)
      .execute();
  }

  async markPublished(ref: ObjectVersionRef): Promise<void> {
    await this.#db.updateTable('bucket_objects').set({ published_at: this.#time(this.#clock()) }).where(whereRef(ref)).execute();
  }

  async decidedAmong(bucket: string, objects: readonly { key: string; etag: string }[]): Promise<Set<string>> {
    const decided = new Set<string>();
    const wanted = new Set(objects.map((o) => keyAtEtag(o.key, o.etag)));
    for (const keys of chunks([...new Set(objects.map((o) => o.key))], keysPerQuery)) {
      const rows = await this.#db
        .selectFrom('bucket_objects')
        .select(['object_key', 'etag'])
        .where('bucket', '=', bucket)
        .where('object_key', 'in', keys)
        .where('status', 'in', [...decidedStatuses])
        .execute();
      for (const row of rows) {
        const key = keyAtEtag(row.object_key, row.etag);
        if (wanted.has(key)) decided.add(key);
      }
    }
    return decided;
  }

  async recordVerdict(verdict: BucketVerdictRecord): Promise<void> {
    const changes = encodeVerdictColumns(this.dialect, verdict);
    await this.#db
      .insertInto('bucket_verdicts')
      .values({ content_key: verdict.contentKey, scanner: verdict.scanner, engine: verdict.engine, ...changes })
      .onConflict((oc) => oc.columns(['content_key', 'scanner', 'engine']).doUpdateSet(changes))
      .execute();
  }

  async findVerdict(contentKey: string, scanner: string, engine: string): Promise<BucketVerdictRecord | undefined> {
    const row = await this.#db
      .selectFrom('bucket_verdicts')
      .selectAll()
      .where('content_key', '=', contentKey)
      .where('scanner', '=', scanner)
      .where('engine', '=', engine)
      .executeTakeFirst();
    return row && decodeVerdict(row);
  }

  #time(moment: Date): Date | number {
    return encodeTimestamp(this.dialect, moment);
  }
}

function whereRef(ref: ObjectVersionRef) {
  return (eb: ExpressionBuilder<MetadataTables, 'bucket_objects'>) =>
    eb.and([eb('bucket', '=', ref.bucket), eb('object_key', '=', ref.key), eb('etag', '=', ref.etag)]);
}

function decodeObject(row: Selectable<BucketObjectsTable>): BucketObjectRecord {
  return {
    bucket: row.bucket,
    key: row.object_key,
    etag: row.etag,
    status: row.status,
    attempts: Number(row.attempts),
    failures: Number(row.failures),
    abandoned: Number(row.abandoned),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until === null ? null : decodeTimestamp(row.lease_until),
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    publishedAt: row.published_at === null ? null : decodeTimestamp(row.published_at),
    lastError: row.last_error,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
  };
}

function decodeVerdict(row: Selectable<BucketVerdictsTable>): BucketVerdictRecord {
  return { contentKey: row.content_key, scanner: row.scanner, engine: row.engine, ...decodeVerdictColumns(row) };
}
