// Vulnerability scan campaigns and their cron schedules (src/metadata/sql-scan-campaign-store.ts,
// sql-scan-schedule-store.ts):
// - vulnerability_scan_campaigns: one row per campaign, its scope, limits, walk cursor and
//   counters (the progress the API and the CLI show);
// - vulnerability_scan_campaign_items: one row per (campaign, scanner, digest) the campaign
//   queued, so an image held by many repositories is scanned once, and each scan is counted
//   once however often its job runs. Completed items go when the campaign ends; failed ones
//   stay, to show what failed;
// - vulnerability_scan_ticks: one row per schedule tick, whoever decided it: the primary key is
//   what makes a tick start one campaign with many processes ticking;
// - vulnerability_scan_schedules: the schedules made through the admin API.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function scanCampaigns(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('vulnerability_scan_campaigns')
        .addColumn('id', t.key, (col) => col.primaryKey())
        // `all`, `namespace:NS` or `repository:R` (domain/scan-scope.ts).
        .addColumn('scope', t.key, (col) => col.notNull())
        // A JSON array of scanner names, or null: every scanner.
        .addColumn('scanners', t.json)
        .addColumn('trigger_kind', 'text', (col) => col.notNull())
        .addColumn('schedule', t.key)
        .addColumn('created_by', 'text', (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('error', 'text')
        .addColumn('max_in_flight', 'integer', (col) => col.notNull())
        .addColumn('per_minute', 'integer')
        .addColumn('total', 'integer')
        .addColumn('enqueued', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('completed', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('cancelled', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('cursor_repository', t.key)
        .addColumn('cursor_digest', t.key)
        // 0 or 1 on both dialects: better-sqlite3 cannot bind a boolean.
        .addColumn('walk_done', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('step', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('started_at', t.timestamp, (col) => col.notNull())
        .addColumn('finished_at', t.timestamp)
        .addColumn('progressed_at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint('vulnerability_scan_campaigns_state', sql`state in ('running', 'stopped', 'finished', 'failed')`)
        .addCheckConstraint('vulnerability_scan_campaigns_trigger', sql`trigger_kind in ('manual', 'schedule', 'registration')`)
        .execute();
      await db.schema.createIndex('vulnerability_scan_campaigns_by_state').on('vulnerability_scan_campaigns').columns(['state', 'started_at']).execute();
      await db.schema.createIndex('vulnerability_scan_campaigns_by_schedule').on('vulnerability_scan_campaigns').columns(['schedule', 'state']).execute();

      await db.schema
        .createTable('vulnerability_scan_campaign_items')
        .addColumn('campaign_id', t.key, (col) => col.notNull().references('vulnerability_scan_campaigns.id').onDelete('cascade'))
        .addColumn('scanner', t.key, (col) => col.notNull())
        .addColumn('digest', t.key, (col) => col.notNull())
        .addColumn('repository', t.key, (col) => col.notNull())
        .addColumn('state', 'text', (col) => col.notNull())
        .addColumn('job_id', t.key)
        .addColumn('error', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('vulnerability_scan_campaign_items_pk', ['campaign_id', 'scanner', 'digest'])
        .addCheckConstraint('vulnerability_scan_campaign_items_state', sql`state in ('queued', 'completed', 'failed')`)
        .execute();
      await db.schema.createIndex('vulnerability_scan_campaign_items_by_time').on('vulnerability_scan_campaign_items').columns(['campaign_id', 'created_at']).execute();
      await db.schema.createIndex('vulnerability_scan_campaign_items_by_state').on('vulnerability_scan_campaign_items').columns(['campaign_id', 'state', 'created_at']).execute();

      await db.schema
        .createTable('vulnerability_scan_ticks')
        .addColumn('schedule', t.key, (col) => col.notNull())
        .addColumn('tick_at', t.timestamp, (col) => col.notNull())
        .addColumn('outcome', 'text', (col) => col.notNull())
        .addColumn('campaign_id', t.key)
        .addColumn('reason', 'text')
        .addColumn('recorded_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('vulnerability_scan_ticks_pk', ['schedule', 'tick_at'])
        .addCheckConstraint('vulnerability_scan_ticks_outcome', sql`outcome in ('started', 'skipped')`)
        .execute();

      await db.schema
        .createTable('vulnerability_scan_schedules')
        .addColumn('name', t.key, (col) => col.primaryKey())
        // The definition as JSON (port: ScanScheduleDefinition, scope written as text).
        .addColumn('definition', t.json, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_by', 'text', (col) => col.notNull())
        .execute();
    },
  };
}
