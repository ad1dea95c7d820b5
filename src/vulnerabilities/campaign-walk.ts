// One step of a scan campaign: the `vulnerability-scan-campaign` job. It reads the campaign,
// walks the images of its scope from the saved cursor, queues a `vulnerability-scan` job per
// (image, scanner) while the campaign's limits allow (at most `maxInFlight` of its scans queued
// or running, at most `perMinute` queued in the last minute), saves the cursor, and queues the
// next step: at once while there is work it may do, after a pause while the limits hold it
// (longer the longer it stays idle). A restart loses nothing: the next step resumes from the
// saved cursor, and an image met again is not queued twice (one item per digest and scanner).
//
// A step saves its work only if it is still the campaign's current step (advanceWalk), so a
// duplicate of a step does nothing. A campaign whose scans stopped finishing for a while has
// them checked: a scan whose job died without reporting (its worker crashed on the last
// attempt) is counted failed, one whose job was never queued (a crash in between) is queued.
import type { Logger } from 'pino';
import { inScanScope } from '../domain/scan-scope.js';
import type { ClaimedJob, JobQueue, JsonValue } from '../ports/job-queue.js';
import type { ManifestKey, MetadataStore } from '../ports/metadata-store.js';
import type { CampaignItemKey, CampaignRecord, ScanCampaignStore } from '../ports/scan-campaign-store.js';
import { adapterScanJob } from './adapter-scan-job.js';
import { campaignStepJob, type StepPayload } from './scan-campaigns.js';

/** Which scanners scan a repository (the registrations decide; by default every registered adapter). */
export type ScannerChoice = (repository: string) => Promise<readonly string[]> | readonly string[];

export interface CampaignWalkDeps {
  store: ScanCampaignStore;
  metadata: Pick<MetadataStore, 'listImages' | 'countImageDigests'>;
  queue: Pick<JobQueue, 'enqueue' | 'get'>;
  scannersFor: ScannerChoice;
  /** Every registered scanner, for the estimate of a campaign's total. */
  knownScanners: () => readonly string[];
  /** Attempts of each scan job (scanning.retry.maxAttempts). */
  scanMaxAttempts: number;
  logger: Logger;
  clock?: () => Date;
  /** Manifests read per query (default 100). */
  pageSize?: number;
  /** The pause before the next step when this one could queue nothing (default 1 s; up to ten times that while idle). */
  idleMs?: number;
  /** A campaign with scans in flight and none finished for this long has them checked (default 60 s). */
  stallMs?: number;
}

/** Pages one step may read: bounds a step's length, the walk goes on in the next. */
const pagesPerStep = 5;
const checkedPerStall = 500;

interface Walked {
  cursor: ManifestKey | null;
  walkDone: boolean;
  /** Scans this step queued. */
  queued: number;
  /** The campaign's limits stopped the walk. */
  held: boolean;
}

export function campaignStepHandler(deps: CampaignWalkDeps) {
  return async (job: ClaimedJob): Promise<void> => {
    const payload = parseStepPayload(job.payload);
    try {
      await runStep(deps, payload);
    } catch (error) {
      // Only the database fails a step; once its attempts are spent, the campaign says why.
      if (job.attempt >= job.maxAttempts) await deps.store.failCampaign(payload.campaign, `its walk failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  };
}

async function runStep(deps: CampaignWalkDeps, payload: StepPayload): Promise<void> {
  const { store, logger } = deps;
  const campaign = await store.getCampaign(payload.campaign);
  if (!campaign || campaign.state !== 'running' || campaign.step !== payload.step) return;
  const now = (deps.clock ?? (() => new Date()))();
  if (campaign.total === null) await store.setTotal(campaign.id, await estimateTotal(deps, campaign));
  if (inFlight(campaign) > 0 && now.getTime() - campaign.progressedAt.getTime() >= (deps.stallMs ?? 60_000)) await checkStalled(deps, campaign);
  let walked: Walked = { cursor: campaign.cursor, walkDone: campaign.walkDone, queued: 0, held: false };
  if (!campaign.walkDone) {
    const budget = await budgetOf(deps, campaign, now);
    const result = budget > 0 ? await walk(deps, campaign, budget) : { ...walked, held: true };
    if (result === 'stopped') return;
    walked = result;
  }
  if (!(await store.advanceWalk(campaign.id, campaign.step, { cursor: walked.cursor, walkDone: walked.walkDone }))) return;
  if (await store.finishIfDone(campaign.id)) {
    logger.info({ campaign: campaign.id }, 'vulnerability scan campaign finished');
    return;
  }
  const idleMs = deps.idleMs ?? 1000;
  const goOn = walked.queued > 0 && !walked.walkDone && !walked.held;
  const next = { campaign: campaign.id, step: campaign.step + 1, idle: walked.queued > 0 ? 0 : payload.idle + 1 };
  const delay = goOn ? 0 : Math.min(idleMs * (1 + next.idle), idleMs * 10);
  await deps.queue.enqueue(campaignStepJob(next, new Date(now.getTime() + delay)));
  if (walked.queued > 0) logger.debug({ campaign: campaign.id, queued: walked.queued, walkDone: walked.walkDone }, 'vulnerability scan campaign queued scans');
}

/** Walks from the cursor, queueing up to `budget` scans. */
async function walk(deps: CampaignWalkDeps, campaign: CampaignRecord, budget: number): Promise<Walked | 'stopped'> {
  const pageSize = deps.pageSize ?? 100;
  let cursor = campaign.cursor;
  let left = budget;
  let queued = 0;
  for (let page = 0; page < pagesPerStep; page++) {
    // No more manifests than scans it may queue: a step held by the limits reads little.
    const limit = Math.max(1, Math.min(pageSize, left));
    const images = await deps.metadata.listImages(campaign.scope, { limit, ...(cursor ? { after: cursor } : {}) });
    for (const image of images) {
      if (inScanScope(campaign.scope, image.repository)) {
        for (const scanner of await scannersOf(deps, campaign, image.repository)) {
          // The cursor stays before this image: the next step comes back for its other scanners.
          if (left === 0) return { cursor, walkDone: false, queued, held: true };
          const item = { campaign: campaign.id, scanner, digest: image.digest };
          const added = await deps.store.addItem({ ...item, repository: image.repository });
          if (added === 'not-running') return 'stopped';
          if (added === 'exists') continue;
          await queueScan(deps, item, image.repository);
          left -= 1;
          queued += 1;
        }
      }
      cursor = { repository: image.repository, digest: image.digest };
    }
    if (images.length < limit) return { cursor, walkDone: true, queued, held: false };
    if (left === 0) return { cursor, walkDone: false, queued, held: true };
  }
  return { cursor, walkDone: false, queued, held: false };
}

async function queueScan(deps: CampaignWalkDeps, item: CampaignItemKey, repository: string): Promise<void> {
  const job = await deps.queue.enqueue(adapterScanJob({ repository, digest: item.digest, scanner: item.scanner, campaign: item.campaign }, deps.scanMaxAttempts));
  await deps.store.setItemJob(item, job.id);
}

async function scannersOf(deps: CampaignWalkDeps, campaign: CampaignRecord, repository: string): Promise<readonly string[]> {
  const chosen = await deps.scannersFor(repository);
  return campaign.scanners === null ? chosen : chosen.filter((name) => campaign.scanners!.includes(name));
}

function inFlight(campaign: CampaignRecord): number {
  return campaign.enqueued - campaign.completed - campaign.failed - campaign.cancelled;
}

/** Scans the campaign may queue now under its limits. */
async function budgetOf(deps: CampaignWalkDeps, campaign: CampaignRecord, now: Date): Promise<number> {
  const { maxInFlight, perMinute } = campaign.limits;
  let budget = maxInFlight - inFlight(campaign);
  if (perMinute !== null && budget > 0) budget = Math.min(budget, perMinute - (await deps.store.countItemsSince(campaign.id, new Date(now.getTime() - 60_000))));
  return Math.max(0, budget);
}

/** Images in the scope times scanners: exact once the walk is done (see advanceWalk). */
async function estimateTotal(deps: CampaignWalkDeps, campaign: CampaignRecord): Promise<number> {
  const scanners = campaign.scanners ?? deps.knownScanners();
  return (await deps.metadata.countImageDigests(campaign.scope)) * scanners.length;
}

/** Settles the scans whose jobs ended without reporting, and queues those never queued. */
async function checkStalled(deps: CampaignWalkDeps, campaign: CampaignRecord): Promise<void> {
  const { store, queue, logger } = deps;
  let settled = 0;
  for (const item of await store.listItems(campaign.id, 'queued', checkedPerStall)) {
    if (item.jobId === null) {
      await queueScan(deps, item, item.repository);
      continue;
    }
    const job = await queue.get(item.jobId);
    if (job === undefined || job.state === 'dead') {
      await store.finishItem(item, { state: 'failed', error: job?.lastError ?? 'its scan job is gone' });
      settled += 1;
    } else if (job.state === 'done') {
      await store.finishItem(item, { state: 'completed' });
      settled += 1;
    }
  }
  await store.touchProgress(campaign.id);
  if (settled > 0) logger.warn({ campaign: campaign.id, settled }, 'vulnerability scan campaign: scans whose jobs ended without reporting were settled');
}

function parseStepPayload(payload: JsonValue): StepPayload {
  const p = payload as Partial<StepPayload> | null;
  if (!p || typeof p.campaign !== 'string' || !Number.isInteger(p.step) || !Number.isInteger(p.idle)) {
    throw Object.assign(new Error(`malformed vulnerability-scan-campaign job payload: ${JSON.stringify(payload)}`), { retryable: false });
  }
  return { campaign: p.campaign, step: p.step!, idle: p.idle! };
}
