// The QuarantineStore on the metadata database (Kysely; SQLite and PostgreSQL): tables
// content_states, verdicts and quarantine_audit (migration 0003). It shares the Kysely
// instance with the metadata store and the job queue and never closes it.
//
// Time comes from the application's clock (injectable, as in the job queue), so that tests
// can order records and both dialects store the same moments.
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import type { Digest } from '../domain/digest.js';
import type {
  AuditEntry,
  ContentKind,
  ContentState,
  QuarantineStore,
  StateFilter,
  StateRecord,
  StateUpdate,
  VerdictRecord,
} from '../ports/quarantine-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, decodeVerdictColumns, encodeTimestamp, encodeVerdictColumns } from './rows.js';
import type { ContentStatesTable, MetadataTables, QuarantineAuditTable, VerdictsTable } from './schema.js';

export interface SqlQuarantineStoreOptions {
  /** The clock that stamps states (default: the system clock). */
  clock?: () => Date;
}

/** Digests per `IN (...)` list: well under SQLite's bound-parameter limit. */
const digestsPerQuery = 500;
const defaultListLimit = 100;

export class SqlQuarantineStore implements QuarantineStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlQuarantineStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async admit(digest: Digest, kind: ContentKind): Promise<StateRecord> {
    const now = this.#now();
    // Insert-if-absent, then read: two admits racing both end up reading the one row, and a
    // digest that already has a verdict keeps it. On PostgreSQL a conflicting insert waits
    // for the other transaction, so the read sees its row.
    await this.#db
      .insertInto('content_states')
      .values({ digest, kind, state: 'pending', reason: null, decided_by: null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute();
    const record = await this.getState(digest);
    if (record === undefined) throw new Error(`state of ${digest} vanished right after it was admitted`);
    return record;
  }

  async getState(digest: Digest): Promise<StateRecord | undefined> {
    const row = await this.#db.selectFrom('content_states').selectAll().where('digest', '=', digest).executeTakeFirst();
    return row && decodeState(row);
  }

  async getStates(digests: readonly Digest[]): Promise<Map<Digest, StateRecord>> {
    const unique = [...new Set(digests)];
    const states = new Map<Digest, StateRecord>();
    for (let start = 0; start < unique.length; start += digestsPerQuery) {
      const chunk = unique.slice(start, start + digestsPerQuery);
      const rows = await this.#db.selectFrom('content_states').selectAll().where('digest', 'in', chunk).execute();
      for (const row of rows) states.set(row.digest as Digest, decodeState(row));
    }
    return states;
  }

  async setState(digest: Digest, kind: ContentKind, update: StateUpdate): Promise<StateRecord | undefined> {
    const now = this.#now();
    const changes = { state: update.state, reason: update.reason, decided_by: update.decidedBy, updated_at: now };
    // One transaction: insert if absent (then there is no previous record), else lock the
    // row (PostgreSQL; SQLite's BEGIN IMMEDIATE locks the database), read it and update it.
    // Of racing updates, each sees the one before it as previous, and only the first sees
    // none: a conflicting insert waits for the other transaction, and the read that
    // follows, a new statement, sees its row.
    return this.#db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('content_states')
        .values({ digest, kind, created_at: now, ...changes })
        .onConflict((oc) => oc.column('digest').doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return undefined;
      const previous = await trx
        .selectFrom('content_states')
        .selectAll()
        .where('digest', '=', digest)
        .$if(this.dialect === 'postgres', (qb) => qb.forUpdate())
        .executeTakeFirstOrThrow();
      // A digest keeps the kind it was first recorded with: the state belongs to the bytes.
      await trx.updateTable('content_states').set(changes).where('digest', '=', digest).execute();
      return decodeState(previous);
    });
  }

  async listStates(filter: StateFilter = {}): Promise<StateRecord[]> {
    const limit = filter.limit ?? defaultListLimit;
    if (limit <= 0) return [];
    const rows = await this.#db
      .selectFrom('content_states')
      .selectAll()
      .$if(filter.state !== undefined, (qb) => qb.where('state', '=', filter.state!))
      .$if(filter.after !== undefined, (qb) => qb.where('digest', '>', filter.after!))
      .orderBy('digest')
      .limit(limit)
      .execute();
    return rows.map(decodeState);
  }

  async countStates(): Promise<Record<ContentState, number>> {
    const rows = await this.#db
      .selectFrom('content_states')
      .select(['state', (eb) => eb.fn.countAll().as('count')])
      .groupBy('state')
      .execute();
    const counts: Record<ContentState, number> = { pending: 0, clean: 0, infected: 0, failed: 0 };
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  async recordVerdict(verdict: VerdictRecord): Promise<void> {
    const changes = encodeVerdictColumns(this.dialect, verdict);
    await this.#db
      .insertInto('verdicts')
      .values({ digest: verdict.digest, scanner: verdict.scanner, engine: verdict.engine, ...changes })
      .onConflict((oc) => oc.columns(['digest', 'scanner', 'engine']).doUpdateSet(changes))
      .execute();
  }

  async findVerdict(digest: Digest, scanner: string, engine: string): Promise<VerdictRecord | undefined> {
    const row = await this.#db
      .selectFrom('verdicts')
      .selectAll()
      .where('digest', '=', digest)
      .where('scanner', '=', scanner)
      .where('engine', '=', engine)
      .executeTakeFirst();
    return row && decodeVerdict(row);
  }

  async latestVerdicts(digest: Digest): Promise<VerdictRecord[]> {
    const rows = await this.#db
      .selectFrom('verdicts as v')
      .selectAll('v')
      .where('v.digest', '=', digest)
      .where((eb) => eb.not(eb.exists(newerVerdict(eb))))
      .orderBy('v.scanner')
      .execute();
    return rows.map(decodeVerdict);
  }

  /**
   * Stale means: the digest is clean and this scanner's newest verdict on it was made with
   * another engine key, or this scanner has no verdict on it at all (a scanner configured
   * after the content was released never saw it; neither did content an admin released
   * before its scan). Never-scanned digests come first (released longest ago first), then
   * the others by the age of their newest verdict. Two index-backed queries rather than one
   * sorted union, so that each stops at the limit.
   *
   * A caller that decides not to scan a returned digest (its repository does not require
   * this scanner) will be handed it again on the next call: record a verdict for it, or
   * expect it to come back.
   */
  async staleClean(scanner: string, engine: string, limit: number): Promise<Digest[]> {
    if (limit <= 0) return [];
    const neverScanned = await this.#db
      .selectFrom('content_states as s')
      .select('s.digest')
      .where('s.state', '=', 'clean')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('verdicts as v')
              .select(sql.lit(1).as('one'))
              .whereRef('v.digest', '=', 's.digest')
              .where('v.scanner', '=', scanner),
          ),
        ),
      )
      .orderBy('s.updated_at')
      .orderBy('s.digest')
      .limit(limit)
      .execute();
    const remaining = limit - neverScanned.length;
    if (remaining === 0) return neverScanned.map((row) => row.digest as Digest);
    const outdated = await this.#db
      .selectFrom('verdicts as v')
      .innerJoin('content_states as s', 's.digest', 'v.digest')
      .select('v.digest')
      .where('s.state', '=', 'clean')
      .where('v.scanner', '=', scanner)
      .where('v.engine', '<>', engine)
      .where((eb) => eb.not(eb.exists(newerVerdict(eb))))
      .orderBy('v.scanned_at')
      .orderBy('v.digest')
      .limit(remaining)
      .execute();
    return [...neverScanned, ...outdated].map((row) => row.digest as Digest);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#db
      .insertInto('quarantine_audit')
      .values({
        id: randomUUID(),
        digest: entry.digest,
        action: entry.action,
        actor: entry.actor,
        reason: entry.reason,
        at: encodeTimestamp(this.dialect, entry.at),
      })
      .execute();
  }

  /** Entries stamped with the same moment come in a stable but arbitrary order (by id). */
  async listAudit(digest?: Digest, limit = defaultListLimit): Promise<AuditEntry[]> {
    if (limit <= 0) return [];
    const rows = await this.#db
      .selectFrom('quarantine_audit')
      .selectAll()
      .$if(digest !== undefined, (qb) => qb.where('digest', '=', digest!))
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(decodeAudit);
  }

  async repositoriesHolding(digest: Digest): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('blob_links')
      .select('repository')
      .where('digest', '=', digest)
      .union(this.#db.selectFrom('manifests').select('repository').where('digest', '=', digest))
      // The file store's entries, and its uploads waiting for their scan (migration 0007).
      .union(this.#db.selectFrom('files').select('repository').where('digest', '=', digest))
      .union(this.#db.selectFrom('file_uploads').select('repository').where('digest', '=', digest))
      .execute();
    // UNION has removed duplicates; sort by bytes, as every listing of names does.
    return rows.map((row) => row.repository).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  #now(): Date | number {
    return encodeTimestamp(this.dialect, this.#clock());
  }
}

/**
 * A verdict of the same digest and scanner newer than `v`: made later, or at the same moment
 * with a greater engine key (a tie-break, so that exactly one verdict per scanner is newest).
 */
function newerVerdict(eb: ExpressionBuilder<MetadataTables & { v: VerdictsTable }, 'v'>) {
  return eb
    .selectFrom('verdicts as newer')
    .select(sql.lit(1).as('one'))
    .whereRef('newer.digest', '=', 'v.digest')
    .whereRef('newer.scanner', '=', 'v.scanner')
    .where((inner) =>
      inner.or([
        inner('newer.scanned_at', '>', inner.ref('v.scanned_at')),
        inner.and([inner('newer.scanned_at', '=', inner.ref('v.scanned_at')), inner('newer.engine', '>', inner.ref('v.engine'))]),
      ]),
    );
}

function decodeState(row: Selectable<ContentStatesTable>): StateRecord {
  return {
    digest: row.digest as Digest,
    kind: row.kind,
    state: row.state,
    reason: row.reason,
    decidedBy: row.decided_by,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
  };
}

function decodeVerdict(row: Selectable<VerdictsTable>): VerdictRecord {
  return { digest: row.digest as Digest, scanner: row.scanner, engine: row.engine, ...decodeVerdictColumns(row) };
}

function decodeAudit(row: Selectable<QuarantineAuditTable>): AuditEntry {
  return {
    digest: row.digest as Digest,
    action: row.action,
    actor: row.actor,
    reason: row.reason,
    at: decodeTimestamp(row.at),
  };
}
