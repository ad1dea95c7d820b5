// The WebhookStore on the metadata database (Kysely; SQLite and PostgreSQL): tables
// webhook_subscriptions, webhook_events, webhook_deliveries and webhook_attempts (migration
// 0015). Shares the Kysely instance with the other stores and never closes it.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DomainEvent, EventType } from '../domain/events.js';
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryFilter,
  NewSubscription,
  Subscription,
  SubscriptionSettings,
  WebhookStore,
} from '../ports/webhook-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables, WebhookAttemptsTable, WebhookDeliveriesTable, WebhookSubscriptionsTable } from './schema.js';

export interface SqlWebhookStoreOptions {
  /** The clock that stamps created_at and updated_at (default: the system clock). */
  clock?: () => Date;
}

const defaultListLimit = 100;
/** Rows per INSERT: well under SQLite's bound-variable limit. */
const insertChunk = 200;
/** Errors and snippets are kept short: enough to diagnose, bounded in the table. */
const maxTextLength = 2_000;

export class SqlWebhookStore implements WebhookStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlWebhookStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async listSubscriptions(): Promise<Subscription[]> {
    const rows = await this.#db.selectFrom('webhook_subscriptions').selectAll().orderBy('name').execute();
    return rows.map(decodeSubscription);
  }

  async getSubscription(name: string): Promise<Subscription | undefined> {
    const row = await this.#db.selectFrom('webhook_subscriptions').selectAll().where('name', '=', name).executeTakeFirst();
    return row && decodeSubscription(row);
  }

  async createSubscription(subscription: NewSubscription, actor: string): Promise<Subscription | undefined> {
    const inserted = await this.#db
      .insertInto('webhook_subscriptions')
      .values(this.#subscriptionRow(subscription, actor))
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) return undefined;
    return this.getSubscription(subscription.name);
  }

  async updateSubscription(name: string, changes: Partial<SubscriptionSettings>, actor: string): Promise<Subscription | undefined> {
    const set: Partial<Record<keyof WebhookSubscriptionsTable, unknown>> = {};
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.events !== undefined) set.events = JSON.stringify(changes.events);
    if (changes.namespaces !== undefined) set.namespaces = JSON.stringify(changes.namespaces);
    if (changes.payload !== undefined) set.payload = changes.payload;
    if (changes.format !== undefined) set.format = changes.format;
    if (changes.enabled !== undefined) set.enabled = changes.enabled ? 1 : 0;
    return this.#update(name, set, actor);
  }

  async setSecrets(name: string, secrets: Pick<NewSubscription, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, actor: string): Promise<Subscription | undefined> {
    return this.#update(
      name,
      {
        secret: secrets.secret,
        previous_secret: secrets.previousSecret,
        previous_secret_expires_at: secrets.previousSecretExpiresAt && this.#time(secrets.previousSecretExpiresAt),
      },
      actor,
    );
  }

  async deleteSubscription(name: string): Promise<boolean> {
    const deleted = await this.#db.deleteFrom('webhook_subscriptions').where('name', '=', name).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  async syncConfigSubscriptions(subscriptions: readonly NewSubscription[]): Promise<{ conflicts: string[] }> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = new Map((await trx.selectFrom('webhook_subscriptions').selectAll().execute()).map((row) => [row.name, row]));
      const conflicts: string[] = [];
      for (const subscription of subscriptions) {
        const current = existing.get(subscription.name);
        if (current?.source === 'api') {
          conflicts.push(subscription.name);
          continue;
        }
        const row = this.#subscriptionRow({ ...subscription, source: 'config' }, 'config');
        if (current === undefined) {
          // Another process starting with the same file may insert it first: same row, no error.
          await trx.insertInto('webhook_subscriptions').values(row).onConflict((oc) => oc.column('name').doNothing()).execute();
          continue;
        }
        // Only what the file says changes; created_at stays, updated_at moves only on a change.
        const { name: _name, created_at: _created, updated_at: _updated, updated_by: _by, ...settings } = row;
        const same = Object.entries(settings).every(([column, value]) => sameValue(current[column as keyof typeof current], value));
        if (!same) await trx.updateTable('webhook_subscriptions').set({ ...settings, updated_at: row.updated_at, updated_by: 'config' }).where('name', '=', subscription.name).execute();
      }
      const keep = subscriptions.map((s) => s.name);
      let stale = trx.deleteFrom('webhook_subscriptions').where('source', '=', 'config');
      if (keep.length > 0) stale = stale.where('name', 'not in', keep);
      await stale.execute();
      return { conflicts };
    });
  }

  async recordEvents(items: readonly { event: DomainEvent; subscriptions: readonly string[] }[]): Promise<Delivery[]> {
    const wanted = items.filter((item) => item.subscriptions.length > 0);
    if (wanted.length === 0) return [];
    const now = this.#time(this.#clock());
    return this.#db.transaction().execute(async (trx) => {
      const names = [...new Set(wanted.flatMap((item) => item.subscriptions))];
      const present = new Set((await trx.selectFrom('webhook_subscriptions').select('name').where('name', 'in', names).execute()).map((row) => row.name));
      const events = wanted.map(({ event }) => ({ id: event.id, type: event.type, time: this.#time(new Date(event.time)), event: JSON.stringify(event) }));
      for (const chunk of chunks(events)) {
        await trx.insertInto('webhook_events').values(chunk).onConflict((oc) => oc.column('id').doNothing()).execute();
      }
      const deliveries = wanted.flatMap(({ event, subscriptions }) =>
        subscriptions
          .filter((name) => present.has(name))
          .map((subscription) => ({
            id: randomUUID(),
            subscription,
            event_id: event.id,
            event_type: event.type,
            event_time: this.#time(new Date(event.time)),
            state: 'pending' as const,
            attempts: 0,
            replays: 0,
            next_attempt_at: null,
            last_status: null,
            last_error: null,
            created_at: now,
            updated_at: now,
          })),
      );
      const created: Delivery[] = [];
      for (const chunk of chunks(deliveries)) {
        const rows = await trx
          .insertInto('webhook_deliveries')
          .values(chunk)
          .onConflict((oc) => oc.columns(['subscription', 'event_id']).doNothing())
          .returningAll()
          .execute();
        created.push(...rows.map(decodeDelivery));
      }
      return created;
    });
  }

  async getEvent(id: string): Promise<DomainEvent | undefined> {
    const row = await this.#db.selectFrom('webhook_events').select('event').where('id', '=', id).executeTakeFirst();
    return row && (JSON.parse(row.event) as DomainEvent);
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const row = await this.#db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && decodeDelivery(row);
  }

  async listDeliveries(subscription: string, filter: DeliveryFilter = {}): Promise<Delivery[]> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('subscription', '=', subscription);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.before !== undefined) query = query.where('created_at', '<', this.#time(filter.before));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? defaultListLimit)
      .execute();
    return rows.map(decodeDelivery);
  }

  async deliveriesBetween(subscription: string, from: Date, to: Date, limit: number): Promise<Delivery[]> {
    const rows = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('subscription', '=', subscription)
      .where('event_time', '>=', this.#time(from))
      .where('event_time', '<', this.#time(to))
      .orderBy('event_time')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(decodeDelivery);
  }

  async pendingDeliveries(limit: number, after?: string): Promise<Delivery[]> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('state', '=', 'pending');
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(decodeDelivery);
  }

  async startAttempt(id: string, now: Date): Promise<Delivery | undefined> {
    const row = await this.#db
      .updateTable('webhook_deliveries')
      .set({ attempts: sql`attempts + 1`, updated_at: this.#time(now) })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    return row && decodeDelivery(row);
  }

  async finishAttempt(attempt: DeliveryAttempt, next: { lastError: string | null; nextAttemptAt: Date | null }): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values({
          delivery_id: attempt.deliveryId,
          replay: attempt.replay,
          attempt: attempt.attempt,
          started_at: this.#time(attempt.startedAt),
          duration_ms: Math.round(attempt.durationMs),
          status_code: attempt.statusCode,
          error: clip(attempt.error),
          response_snippet: clip(attempt.responseSnippet),
          outcome: attempt.outcome,
        })
        .onConflict((oc) => oc.columns(['delivery_id', 'replay', 'attempt']).doNothing())
        .execute();
      const state = attempt.outcome === 'retrying' ? 'pending' : attempt.outcome;
      const updated = await trx
        .updateTable('webhook_deliveries')
        .set({
          state,
          last_status: attempt.statusCode,
          last_error: clip(next.lastError),
          next_attempt_at: next.nextAttemptAt && this.#time(next.nextAttemptAt),
          updated_at: this.#time(this.#clock()),
        })
        .where('id', '=', attempt.deliveryId)
        .where('replays', '=', attempt.replay)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    });
  }

  async listAttempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.#db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('replay').orderBy('attempt').execute();
    return rows.map(decodeAttempt);
  }

  async replay(id: string, now: Date): Promise<Delivery | undefined> {
    const row = await this.#db
      .updateTable('webhook_deliveries')
      .set({ state: 'pending', attempts: 0, replays: sql`replays + 1`, next_attempt_at: null, updated_at: this.#time(now) })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && decodeDelivery(row);
  }

  async prune(before: Date): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('webhook_deliveries')
        .where('state', 'in', ['delivered', 'dead'])
        .where('updated_at', '<', this.#time(before))
        .executeTakeFirst();
      await trx
        .deleteFrom('webhook_events')
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries').select('id').whereRef('webhook_deliveries.event_id', '=', 'webhook_events.id'))))
        .execute();
      return Number(deleted.numDeletedRows);
    });
  }

  async #update(name: string, set: Partial<Record<keyof WebhookSubscriptionsTable, unknown>>, actor: string): Promise<Subscription | undefined> {
    const updated = await this.#db
      .updateTable('webhook_subscriptions')
      .set({ ...(set as object), updated_at: this.#time(this.#clock()), updated_by: actor })
      .where('name', '=', name)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return undefined;
    return this.getSubscription(name);
  }

  #subscriptionRow(subscription: NewSubscription, actor: string) {
    const now = this.#time(this.#clock());
    return {
      name: subscription.name,
      source: subscription.source,
      url: subscription.url,
      events: JSON.stringify(subscription.events),
      namespaces: JSON.stringify(subscription.namespaces),
      payload: subscription.payload,
      format: subscription.format,
      enabled: subscription.enabled ? 1 : 0,
      secret: subscription.secret,
      previous_secret: subscription.previousSecret,
      previous_secret_expires_at: subscription.previousSecretExpiresAt && this.#time(subscription.previousSecretExpiresAt),
      created_at: now,
      updated_at: now,
      updated_by: actor,
    };
  }

  #time(moment: Date): Date | number {
    return encodeTimestamp(this.dialect, moment);
  }
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += insertChunk) yield rows.slice(i, i + insertChunk);
}

/** Column values compared across dialects (timestamps are Date on PostgreSQL, numbers on SQLite). */
function sameValue(stored: unknown, written: unknown): boolean {
  if (stored === null || written === null) return stored === written;
  if (stored instanceof Date || written instanceof Date) return decodeTimestamp(stored as Date | number).getTime() === decodeTimestamp(written as Date | number).getTime();
  return String(stored) === String(written);
}

function clip(text: string | null): string | null {
  return text === null || text.length <= maxTextLength ? text : `${text.slice(0, maxTextLength - 1)}…`;
}

function decodeSubscription(row: Selectable<WebhookSubscriptionsTable>): Subscription {
  return {
    name: row.name,
    source: row.source,
    url: row.url,
    events: JSON.parse(row.events) as EventType[],
    namespaces: JSON.parse(row.namespaces) as string[],
    payload: row.payload,
    format: row.format,
    enabled: Number(row.enabled) === 1,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : decodeTimestamp(row.previous_secret_expires_at),
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
    updatedBy: row.updated_by,
  };
}

function decodeDelivery(row: Selectable<WebhookDeliveriesTable>): Delivery {
  return {
    id: row.id,
    subscription: row.subscription,
    eventId: row.event_id,
    eventType: row.event_type as EventType,
    eventTime: decodeTimestamp(row.event_time),
    state: row.state,
    attempts: Number(row.attempts),
    replays: Number(row.replays),
    nextAttemptAt: row.next_attempt_at === null ? null : decodeTimestamp(row.next_attempt_at),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
  };
}

function decodeAttempt(row: Selectable<WebhookAttemptsTable>): DeliveryAttempt {
  return {
    deliveryId: row.delivery_id,
    replay: Number(row.replay),
    attempt: Number(row.attempt),
    startedAt: decodeTimestamp(row.started_at),
    durationMs: Number(row.duration_ms),
    statusCode: row.status_code === null ? null : Number(row.status_code),
    error: row.error,
    responseSnippet: row.response_snippet,
    outcome: row.outcome,
  };
}
