// ScanCampaignStore: vulnerability scan campaigns (scan everything stored in a scope), their
// progress, the scans each has queued (items: one per digest and scanner, which is what makes
// a campaign scan an image once however many repositories hold it), and the ticks of cron
// schedules, each of which decides once, for every process, whether it started a campaign.
// Adapter: SQL (src/metadata/sql-scan-campaign-store.ts); every adapter runs
// src/metadata/scan-campaign-store.suite.ts.
//
// Counting is exact and idempotent: an item moves out of `queued` once, and the campaign's
// counters move with it in the same transaction, so a scan job that runs twice (a lost lease)
// counts once, and a campaign is finished exactly when its walk is done and nothing is in flight.
import type { Digest } from '../domain/digest.js';
import type { ScanScope } from '../domain/scan-scope.js';
import type { ManifestKey } from './metadata-store.js';

export type CampaignState = 'running' | 'stopped' | 'finished' | 'failed';
export type CampaignTrigger = 'manual' | 'schedule' | 'registration';

export interface CampaignLimits {
  /** At most this many of the campaign's scans queued or running at once. */
  maxInFlight: number;
  /** At most this many scans queued per minute; null: no such limit. */
  perMinute: number | null;
}

export interface NewCampaign {
  scope: ScanScope;
  /** Only these scanners; null: every scanner each repository uses. */
  scanners: string[] | null;
  trigger: CampaignTrigger;
  /** The schedule that started it (trigger `schedule`). */
  schedule: string | null;
  /** Who started it: the admin API's actor, `cli`, `scheduler`, `scangate`. */
  createdBy: string;
  limits: CampaignLimits;
}

export interface CampaignRecord extends NewCampaign {
  id: string;
  state: CampaignState;
  /** Why it failed (state `failed`). */
  error: string | null;
  /** Scans the campaign will queue: an estimate until the walk is done, then exact; null before the first estimate. */
  total: number | null;
  enqueued: number;
  completed: number;
  failed: number;
  /** Queued scans dropped by a stop. */
  cancelled: number;
  /** The last manifest walked; the next step resumes after it. */
  cursor: ManifestKey | null;
  walkDone: boolean;
  /** Bumped by each step of the walk, so a step runs once (see advanceWalk). */
  step: number;
  startedAt: Date;
  finishedAt: Date | null;
  /** When a scan of it last finished (or the campaign started): a campaign that stalls gets checked. */
  progressedAt: Date;
}

export interface CampaignItemKey {
  campaign: string;
  scanner: string;
  digest: Digest;
}

export type CampaignItemState = 'queued' | 'completed' | 'failed';

export interface CampaignItem extends CampaignItemKey {
  /** The repository it is scanned in (the first one the walk met). */
  repository: string;
  state: CampaignItemState;
  /** The scan job, once queued. */
  jobId: string | null;
  error: string | null;
  createdAt: Date;
}

export type ItemOutcome = { state: 'completed' } | { state: 'failed'; error: string };

export interface TickRecord {
  schedule: string;
  tickAt: Date;
  outcome: 'started' | 'skipped';
  campaignId: string | null;
  reason: string | null;
  recordedAt: Date;
}

/** What one process learnt from a tick: it started the campaign, it skipped the tick, or another process had decided it. */
export type TickDecision = { outcome: 'started'; campaign: CampaignRecord } | { outcome: 'skipped'; tick: TickRecord } | { outcome: 'decided'; tick: TickRecord };

export interface ScanCampaignStore {
  /** A new running campaign. */
  createCampaign(campaign: NewCampaign): Promise<CampaignRecord>;
  getCampaign(id: string): Promise<CampaignRecord | undefined>;
  /** Newest first (default 100). */
  listCampaigns(filter?: { state?: CampaignState; schedule?: string; limit?: number }): Promise<CampaignRecord[]>;

  /**
   * Decides a schedule's tick once for all processes: the first caller records it and starts
   * `campaign`, or skips the tick while a campaign of the schedule is still running; later
   * callers get the recorded decision (`decided`).
   */
  decideTick(tick: { schedule: string; tickAt: Date }, campaign: NewCampaign): Promise<TickDecision>;
  /** The schedule's ticks, newest first. */
  listTicks(schedule: string, limit: number): Promise<TickRecord[]>;

  setTotal(id: string, total: number): Promise<void>;
  /**
   * Records that the campaign queues a scan of (digest, scanner): `added` (counted as enqueued),
   * `exists` (already an item: the same image in another repository), or `not-running`.
   */
  addItem(item: CampaignItemKey & { repository: string }): Promise<'added' | 'exists' | 'not-running'>;
  setItemJob(item: CampaignItemKey, jobId: string): Promise<void>;
  getItem(item: CampaignItemKey): Promise<CampaignItem | undefined>;
  /** Items added at or after `since` (the per-minute limit). */
  countItemsSince(campaign: string, since: Date): Promise<number>;
  /** Items in `state`, oldest first. */
  listItems(campaign: string, state: CampaignItemState, limit: number): Promise<CampaignItem[]>;
  /**
   * Saves a step of the walk if `step` is still the campaign's current one (and it runs), and
   * moves it to step + 1. A walk that is done makes `total` exact. False: nothing saved.
   */
  advanceWalk(id: string, step: number, walk: { cursor: ManifestKey | null; walkDone: boolean }): Promise<boolean>;
  /**
   * Moves a queued item to its outcome and counts it; when that was the last scan of a walked
   * campaign, the campaign is finished. `counted: false`: the item was not queued (counted
   * already, or the campaign stopped).
   */
  finishItem(item: CampaignItemKey, outcome: ItemOutcome): Promise<{ counted: boolean; campaignFinished: boolean }>;
  /** Finishes a running campaign whose walk is done and which has nothing in flight. */
  finishIfDone(id: string): Promise<boolean>;
  /** Resets progressedAt (after checking a stalled campaign). */
  touchProgress(id: string): Promise<void>;
  /**
   * Stops a running campaign: no item is added after, and its queued items are dropped and
   * counted as cancelled. Returns the campaign as it is now (undefined: no such campaign).
   */
  stopCampaign(id: string): Promise<CampaignRecord | undefined>;
  /** Marks a running campaign failed (its walk cannot go on). */
  failCampaign(id: string, error: string): Promise<boolean>;
}
