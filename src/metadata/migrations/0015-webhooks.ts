// Webhooks (src/metadata/sql-webhook-store.ts): subscriptions, the events sent to them, one
// delivery per (event, subscription) with its state, and every attempt of each delivery.
// Events are kept once however many subscriptions want them; deliveries and attempts go with
// their subscription (ON DELETE CASCADE); events no delivery refers to are pruned.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function webhooks(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('webhook_subscriptions')
        .addColumn('name', t.key, (col) => col.primaryKey())
        .addColumn('source', 'text', (col) => col.notNull())
        .addColumn('url', 'text', (col) => col.notNull())
        // JSON arrays: event types and namespaces (empty: all).
        .addColumn('events', t.json, (col) => col.notNull())
        .addColumn('namespaces', t.json, (col) => col.notNull())
        .addColumn('payload', 'text', (col) => col.notNull())
        .addColumn('format', 'text', (col) => col.notNull())
        // 0 or 1 on both dialects: better-sqlite3 cannot bind a boolean.
        .addColumn('enabled', 'integer', (col) => col.notNull())
        // HMAC keys must be usable to sign, so they are stored as given (whsec_...).
        .addColumn('secret', 'text', (col) => col.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_expires_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .addCheckConstraint('webhook_subscriptions_source', sql`source in ('config', 'api')`)
        .addCheckConstraint('webhook_subscriptions_payload', sql`payload in ('summary', 'full')`)
        .addCheckConstraint('webhook_subscriptions_format', sql`format in ('cloudevents', 'harbor')`)
        .addCheckConstraint('webhook_subscriptions_enabled', sql`enabled in (0, 1)`)
        .execute();

      await db.schema
        .createTable('webhook_events')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('type', t.key, (col) => col.notNull())
        .addColumn('time', t.timestamp, (col) => col.notNull())
        // The whole event as JSON (envelope and data), as emitted.
        .addColumn('event', t.json, (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('subscription', t.key, (col) => col.notNull().references('webhook_subscriptions.name').onDelete('cascade'))
        .addColumn('event_id', t.key, (col) => col.notNull().references('webhook_events.id'))
        .addColumn('event_type', t.key, (col) => col.notNull())
        .addColumn('event_time', t.timestamp, (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('attempts', 'integer', (col) => col.notNull())
        .addColumn('replays', 'integer', (col) => col.notNull())
        .addColumn('next_attempt_at', t.timestamp)
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addUniqueConstraint('webhook_deliveries_once', ['subscription', 'event_id'])
        .addCheckConstraint('webhook_deliveries_state', sql`state in ('pending', 'delivered', 'dead')`)
        .execute();
      // The API's listing (by state, newest first) and a replay of a time range.
      await db.schema.createIndex('webhook_deliveries_by_state').on('webhook_deliveries').columns(['subscription', 'state', 'created_at']).execute();
      await db.schema.createIndex('webhook_deliveries_by_event_time').on('webhook_deliveries').columns(['subscription', 'event_time']).execute();
      // The start-up sweep of pending deliveries, and prune() of finished ones.
      await db.schema.createIndex('webhook_deliveries_state_updated').on('webhook_deliveries').columns(['state', 'updated_at']).execute();
      await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_id').execute();

      await db.schema
        .createTable('webhook_attempts')
        .addColumn('delivery_id', t.key, (col) => col.notNull().references('webhook_deliveries.id').onDelete('cascade'))
        .addColumn('replay', 'integer', (col) => col.notNull())
        .addColumn('attempt', 'integer', (col) => col.notNull())
        .addColumn('started_at', t.timestamp, (col) => col.notNull())
        .addColumn('duration_ms', 'integer', (col) => col.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('response_snippet', 'text')
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'replay', 'attempt'])
        .addCheckConstraint('webhook_attempts_outcome', sql`outcome in ('delivered', 'retrying', 'dead')`)
        .execute();
    },
  };
}
