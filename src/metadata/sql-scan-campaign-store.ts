// The ScanCampaignStore on the metadata database (Kysely; SQLite and PostgreSQL): tables
// vulnerability_scan_campaigns, _campaign_items and _ticks (migration 0016). Every change that
// moves a counter runs in one transaction with the item or campaign row it counts (on SQLite a
// BEGIN IMMEDIATE one), and every update names the state it expects, so concurrent steps,
// scan jobs and stops count each scan once. Shares the Kysely instance and never closes it.
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type {
  CampaignItem,
  CampaignItemKey,
  CampaignItemState,
  CampaignRecord,
  CampaignState,
  ItemOutcome,
  NewCampaign,
  ScanCampaignStore,
  TickDecision,
  TickRecord,
} from '../ports/scan-campaign-store.js';
import type { ManifestKey } from '../ports/metadata-store.js';
import { formatScanScope } from '../domain/scan-scope.js';
import { dialectOf, type DialectKind } from './database.js';
import { encodeTimestamp } from './rows.js';
import { decodeCampaign, decodeItem, decodeTick } from './scan-campaign-rows.js';
import type { MetadataTables } from './schema.js';

export interface SqlScanCampaignStoreOptions {
  /** The clock that stamps rows and decides "the last minute" (default: the system clock). */
  clock?: () => Date;
}

const campaigns = 'vulnerability_scan_campaigns' as const;
const items = 'vulnerability_scan_campaign_items' as const;
const ticks = 'vulnerability_scan_ticks' as const;
const defaultListLimit = 100;
/** Ticks are kept this long: the schedule's recent history, not an archive. */
const keepTicksMs = 30 * 24 * 3600_000;

type Db = Kysely<MetadataTables> | Transaction<MetadataTables>;

export class SqlScanCampaignStore implements ScanCampaignStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlScanCampaignStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async createCampaign(campaign: NewCampaign): Promise<CampaignRecord> {
    const id = await this.#insertCampaign(this.#db, campaign);
    return (await this.getCampaign(id))!;
  }

  async getCampaign(id: string): Promise<CampaignRecord | undefined> {
    return this.#campaign(this.#db, id);
  }

  async listCampaigns(filter: { state?: CampaignState; schedule?: string; limit?: number } = {}): Promise<CampaignRecord[]> {
    const rows = await this.#db
      .selectFrom(campaigns)
      .selectAll()
      .$if(filter.state !== undefined, (qb) => qb.where('state', '=', filter.state!))
      .$if(filter.schedule !== undefined, (qb) => qb.where('schedule', '=', filter.schedule!))
      .orderBy('started_at', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? defaultListLimit)
      .execute();
    return rows.map(decodeCampaign);
  }

  async decideTick(tick: { schedule: string; tickAt: Date }, campaign: NewCampaign): Promise<TickDecision> {
    const now = this.#now();
    const tickAt = this.#time(tick.tickAt);
    const thisTick = (db: Db) => db.updateTable(ticks).where('schedule', '=', tick.schedule).where('tick_at', '=', tickAt);
    return this.#db.transaction().execute(async (trx) => {
      // The primary key decides: a second process's insert waits for the first's commit, then does nothing.
      const inserted = await trx
        .insertInto(ticks)
        .values({ schedule: tick.schedule, tick_at: tickAt, outcome: 'started', campaign_id: null, reason: null, recorded_at: now })
        .onConflict((oc) => oc.columns(['schedule', 'tick_at']).doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) return { outcome: 'decided', tick: await this.#tick(trx, tick.schedule, tickAt) };
      await trx.deleteFrom(ticks).where('schedule', '=', tick.schedule).where('tick_at', '<', this.#time(new Date(tick.tickAt.getTime() - keepTicksMs))).execute();
      const running = await trx.selectFrom(campaigns).select('id').where('schedule', '=', tick.schedule).where('state', '=', 'running').executeTakeFirst();
      if (running) {
        const reason = `campaign ${running.id} of the previous tick is still running`;
        await thisTick(trx).set({ outcome: 'skipped', campaign_id: running.id, reason }).execute();
        return { outcome: 'skipped', tick: await this.#tick(trx, tick.schedule, tickAt) };
      }
      const id = await this.#insertCampaign(trx, campaign);
      await thisTick(trx).set({ campaign_id: id }).execute();
      return { outcome: 'started', campaign: (await this.#campaign(trx, id))! };
    });
  }

  async listTicks(schedule: string, limit: number): Promise<TickRecord[]> {
    const rows = await this.#db.selectFrom(ticks).selectAll().where('schedule', '=', schedule).orderBy('tick_at', 'desc').limit(limit).execute();
    return rows.map(decodeTick);
  }

  async setTotal(id: string, total: number): Promise<void> {
    await this.#db.updateTable(campaigns).set({ total }).where('id', '=', id).execute();
  }

  async addItem(item: CampaignItemKey & { repository: string }): Promise<'added' | 'exists' | 'not-running'> {
    const now = this.#now();
    return this.#db.transaction().execute(async (trx) => {
      // Counting first takes the campaign's row lock, so a stop cannot pass in between.
      const counted = await trx.updateTable(campaigns).set({ enqueued: sql`enqueued + 1` }).where('id', '=', item.campaign).where('state', '=', 'running').executeTakeFirst();
      if (counted.numUpdatedRows === 0n) return 'not-running';
      const inserted = await trx
        .insertInto(items)
        .values({ campaign_id: item.campaign, scanner: item.scanner, digest: item.digest, repository: item.repository, state: 'queued', job_id: null, error: null, created_at: now })
        .onConflict((oc) => oc.columns(['campaign_id', 'scanner', 'digest']).doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) return 'added';
      await trx.updateTable(campaigns).set({ enqueued: sql`enqueued - 1` }).where('id', '=', item.campaign).execute();
      return 'exists';
    });
  }

  async setItemJob(item: CampaignItemKey, jobId: string): Promise<void> {
    await this.#db.updateTable(items).set({ job_id: jobId }).where((eb) => itemIs(eb, item)).execute();
  }

  async getItem(item: CampaignItemKey): Promise<CampaignItem | undefined> {
    const row = await this.#db.selectFrom(items).selectAll().where((eb) => itemIs(eb, item)).executeTakeFirst();
    return row && decodeItem(row);
  }

  async countItemsSince(campaign: string, since: Date): Promise<number> {
    const row = await this.#db
      .selectFrom(items)
      .select((eb) => eb.fn.countAll().as('count'))
      .where('campaign_id', '=', campaign)
      .where('created_at', '>=', this.#time(since))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async listItems(campaign: string, state: CampaignItemState, limit: number): Promise<CampaignItem[]> {
    const rows = await this.#db
      .selectFrom(items)
      .selectAll()
      .where('campaign_id', '=', campaign)
      .where('state', '=', state)
      .orderBy('created_at')
      .orderBy('scanner')
      .orderBy('digest')
      .limit(limit)
      .execute();
    return rows.map(decodeItem);
  }

  async advanceWalk(id: string, step: number, walk: { cursor: ManifestKey | null; walkDone: boolean }): Promise<boolean> {
    const result = await this.#db
      .updateTable(campaigns)
      .set({
        step: sql`step + 1`,
        cursor_repository: walk.cursor?.repository ?? null,
        cursor_digest: walk.cursor?.digest ?? null,
        walk_done: walk.walkDone ? 1 : 0,
        // Once walked, the total is what was queued, not the estimate made at the start.
        total: walk.walkDone ? sql`enqueued` : sql`total`,
      })
      .where('id', '=', id)
      .where('step', '=', step)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async finishItem(item: CampaignItemKey, outcome: ItemOutcome): Promise<{ counted: boolean; campaignFinished: boolean }> {
    const now = this.#now();
    return this.#db.transaction().execute(async (trx) => {
      // The campaign's row first, as addItem and stops take it, so that the locks come in one
      // order (campaign, then item) and PostgreSQL never sees a deadlock between them. (A SQLite
      // transaction holds the whole database already.)
      if (this.dialect === 'postgres') await trx.selectFrom(campaigns).select('id').where('id', '=', item.campaign).forUpdate().execute();
      const error = outcome.state === 'failed' ? outcome.error : null;
      const moved = await trx.updateTable(items).set({ state: outcome.state, error }).where((eb) => itemIs(eb, item)).where('state', '=', 'queued').executeTakeFirst();
      if (moved.numUpdatedRows === 0n) return { counted: false, campaignFinished: false };
      const counter = outcome.state === 'completed' ? { completed: sql<number>`completed + 1` } : { failed: sql<number>`failed + 1` };
      await trx.updateTable(campaigns).set({ ...counter, progressed_at: now }).where('id', '=', item.campaign).execute();
      return { counted: true, campaignFinished: await this.#finishIfDone(trx, item.campaign, now) };
    });
  }

  async finishIfDone(id: string): Promise<boolean> {
    const now = this.#now();
    return this.#db.transaction().execute((trx) => this.#finishIfDone(trx, id, now));
  }

  async touchProgress(id: string): Promise<void> {
    await this.#db.updateTable(campaigns).set({ progressed_at: this.#now() }).where('id', '=', id).execute();
  }

  async stopCampaign(id: string): Promise<CampaignRecord | undefined> {
    return this.#end(id, 'stopped', null);
  }

  async failCampaign(id: string, error: string): Promise<boolean> {
    return (await this.#end(id, 'failed', error))?.state === 'failed';
  }

  /** Ends a running campaign: its queued items are dropped (cancelled), completed ones forgotten. */
  async #end(id: string, state: 'stopped' | 'failed', error: string | null): Promise<CampaignRecord | undefined> {
    const now = this.#now();
    return this.#db.transaction().execute(async (trx) => {
      const ended = await trx.updateTable(campaigns).set({ state, error, finished_at: now }).where('id', '=', id).where('state', '=', 'running').executeTakeFirst();
      if (ended.numUpdatedRows > 0n) {
        const dropped = await trx.deleteFrom(items).where('campaign_id', '=', id).where('state', '=', 'queued').executeTakeFirst();
        await trx.updateTable(campaigns).set({ cancelled: sql`cancelled + ${Number(dropped.numDeletedRows)}` }).where('id', '=', id).execute();
        await trx.deleteFrom(items).where('campaign_id', '=', id).where('state', '=', 'completed').execute();
      }
      return this.#campaign(trx, id);
    });
  }

  async #finishIfDone(trx: Transaction<MetadataTables>, id: string, now: Date | number): Promise<boolean> {
    const finished = await trx
      .updateTable(campaigns)
      .set({ state: 'finished', finished_at: now })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('walk_done', '=', 1)
      .where(sql<boolean>`enqueued = completed + failed + cancelled`)
      .executeTakeFirst();
    if (finished.numUpdatedRows === 0n) return false;
    await trx.deleteFrom(items).where('campaign_id', '=', id).where('state', '=', 'completed').execute();
    return true;
  }

  /** The new campaign's id. */
  async #insertCampaign(db: Db, campaign: NewCampaign): Promise<string> {
    const id = randomUUID();
    const now = this.#now();
    await db
      .insertInto(campaigns)
      .values({
        id,
        scope: formatScanScope(campaign.scope),
        scanners: campaign.scanners === null ? null : JSON.stringify(campaign.scanners),
        trigger_kind: campaign.trigger,
        schedule: campaign.schedule,
        created_by: campaign.createdBy,
        state: 'running',
        error: null,
        max_in_flight: campaign.limits.maxInFlight,
        per_minute: campaign.limits.perMinute,
        total: null,
        enqueued: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        cursor_repository: null,
        cursor_digest: null,
        walk_done: 0,
        step: 0,
        started_at: now,
        finished_at: null,
        progressed_at: now,
      })
      .execute();
    return id;
  }

  async #campaign(db: Db, id: string): Promise<CampaignRecord | undefined> {
    const row = await db.selectFrom(campaigns).selectAll().where('id', '=', id).executeTakeFirst();
    return row && decodeCampaign(row);
  }

  async #tick(db: Db, schedule: string, tickAt: Date | number): Promise<TickRecord> {
    return decodeTick(await db.selectFrom(ticks).selectAll().where('schedule', '=', schedule).where('tick_at', '=', tickAt).executeTakeFirstOrThrow());
  }

  #now(): Date | number {
    return this.#time(this.#clock());
  }

  #time(moment: Date): Date | number {
    return encodeTimestamp(this.dialect, moment);
  }
}

function itemIs(eb: ExpressionBuilder<MetadataTables, typeof items>, item: CampaignItemKey) {
  return eb.and([eb('campaign_id', '=', item.campaign), eb('scanner', '=', item.scanner), eb('digest', '=', item.digest)]);
}
