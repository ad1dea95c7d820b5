// Turning the rows of the campaign tables into the port's records, the same on both dialects
// (timestamps are Date on PostgreSQL and epoch milliseconds on SQLite; see rows.ts).
import type { Selectable } from 'kysely';
import type { Digest } from '../domain/digest.js';
import { parseScanScope, type ScanScope } from '../domain/scan-scope.js';
import type { CampaignItem, CampaignRecord, TickRecord } from '../ports/scan-campaign-store.js';
import { decodeTimestamp } from './rows.js';
import type { ScanCampaignItemsTable, ScanCampaignsTable, ScanTicksTable } from './schema.js';

export function decodeScope(text: string): ScanScope {
  const scope = parseScanScope(text);
  if ('error' in scope) throw new Error(`a stored scan scope is unreadable: ${scope.error}`);
  return scope;
}

export function decodeCampaign(row: Selectable<ScanCampaignsTable>): CampaignRecord {
  const enqueued = Number(row.enqueued);
  return {
    id: row.id,
    scope: decodeScope(row.scope),
    scanners: row.scanners === null ? null : (JSON.parse(row.scanners) as string[]),
    trigger: row.trigger_kind,
    schedule: row.schedule,
    createdBy: row.created_by,
    limits: { maxInFlight: Number(row.max_in_flight), perMinute: row.per_minute === null ? null : Number(row.per_minute) },
    state: row.state,
    error: row.error,
    // An estimate may fall short of what was pushed since: never below what was queued.
    total: row.total === null ? null : Math.max(Number(row.total), enqueued),
    enqueued,
    completed: Number(row.completed),
    failed: Number(row.failed),
    cancelled: Number(row.cancelled),
    cursor: row.cursor_repository === null || row.cursor_digest === null ? null : { repository: row.cursor_repository, digest: row.cursor_digest as Digest },
    walkDone: Number(row.walk_done) === 1,
    step: Number(row.step),
    startedAt: decodeTimestamp(row.started_at),
    finishedAt: row.finished_at === null ? null : decodeTimestamp(row.finished_at),
    progressedAt: decodeTimestamp(row.progressed_at),
  };
}

export function decodeItem(row: Selectable<ScanCampaignItemsTable>): CampaignItem {
  return {
    campaign: row.campaign_id,
    scanner: row.scanner,
    digest: row.digest as Digest,
    repository: row.repository,
    state: row.state,
    jobId: row.job_id,
    error: row.error,
    createdAt: decodeTimestamp(row.created_at),
  };
}

export function decodeTick(row: Selectable<ScanTicksTable>): TickRecord {
  return {
    schedule: row.schedule,
    tickAt: decodeTimestamp(row.tick_at),
    outcome: row.outcome,
    campaignId: row.campaign_id,
    reason: row.reason,
    recordedAt: decodeTimestamp(row.recorded_at),
  };
}
