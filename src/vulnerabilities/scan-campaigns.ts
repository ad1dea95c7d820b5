// Scan campaigns: scan everything stored in a scope (all, a namespace, a repository), by every
// scanner or some. A campaign is a row with its progress (ScanCampaignStore) and a chain of
// `vulnerability-scan-campaign` jobs on the durable queue, each walking a step of the manifests
// from the cursor the previous one saved and queueing the next (campaign-walk.ts), so a
// restart resumes where it stopped. Started by the admin API, the CLI, cron schedules
// (scan-scheduler.ts) and the registration of a scanner; stopped by the API and the CLI.
import { RegistryError } from '../domain/errors.js';
import { formatScanScope, type ScanScope } from '../domain/scan-scope.js';
import type { JobQueue, NewJob } from '../ports/job-queue.js';
import type { CampaignLimits, CampaignRecord, CampaignState, CampaignTrigger, ScanCampaignStore, TickDecision } from '../ports/scan-campaign-store.js';
import type { ScanScheduleDefinition } from '../ports/scan-schedule-store.js';

export const campaignStepJobKind = 'vulnerability-scan-campaign';

/** A step's job fails for a database error only; it is retried, then the campaign is failed. */
const stepMaxAttempts = 8;

export interface CampaignRequest {
  scope: ScanScope;
  /** Only these scanners (default: every scanner each repository uses). */
  scanners?: string[] | null;
  trigger: CampaignTrigger;
  schedule?: string;
  createdBy: string;
  /** Over the configured defaults. */
  limits?: Partial<CampaignLimits>;
}

export interface ScanCampaignsDeps {
  store: ScanCampaignStore;
  queue: Pick<JobQueue, 'enqueue'>;
  /** The names of the registered scanners: a campaign's `scanners` must be among them. */
  knownScanners: () => readonly string[];
  /** vulnerabilityScanning.campaigns. */
  defaults: { maxInFlight: number; perMinute?: number | undefined };
}

export interface StepPayload {
  campaign: string;
  step: number;
  /** Steps in a row that found nothing to do: the next one waits longer. */
  idle: number;
}

/** The job of one step of a campaign's walk; its dedupe key makes each step one job. */
export function campaignStepJob(payload: StepPayload, runAt?: Date): NewJob {
  return {
    kind: campaignStepJobKind,
    payload: { ...payload },
    dedupeKey: `${campaignStepJobKind}:${payload.campaign}:${payload.step}`,
    maxAttempts: stepMaxAttempts,
    ...(runAt ? { runAt } : {}),
  };
}

export class ScanCampaigns {
  constructor(private readonly deps: ScanCampaignsDeps) {}

  /** Starts a campaign (400 for scanners that are not registered). */
  async start(request: CampaignRequest): Promise<CampaignRecord> {
    // A registration vouches for its scanner: it may be announced before the registry lists it.
    const scanners = request.trigger === 'registration' ? (request.scanners ?? null) : this.checkScanners(request.scanners ?? null);
    const campaign = await this.deps.store.createCampaign({
      scope: request.scope,
      scanners,
      trigger: request.trigger,
      schedule: request.schedule ?? null,
      createdBy: request.createdBy,
      limits: this.#limits(request.limits),
    });
    await this.#enqueueStep(campaign);
    return campaign;
  }

  /** Decides a schedule's tick for every process: starts its campaign, or skips the tick while the last one runs. */
  async decideTick(schedule: ScanScheduleDefinition, tickAt: Date): Promise<TickDecision> {
    const decision = await this.deps.store.decideTick(
      { schedule: schedule.name, tickAt },
      { scope: schedule.scope, scanners: this.checkScanners(schedule.scanners), trigger: 'schedule', schedule: schedule.name, createdBy: 'scheduler', limits: this.#limits() },
    );
    if (decision.outcome === 'started') await this.#enqueueStep(decision.campaign);
    return decision;
  }

  /**
   * Stops a running campaign: nothing more is queued, its queued scans are dropped (those
   * running finish). A campaign that had ended is returned as it is; 404 for none.
   */
  async stop(id: string): Promise<CampaignRecord> {
    const campaign = await this.deps.store.stopCampaign(id);
    if (!campaign) throw unknownCampaign(id);
    return campaign;
  }

  async get(id: string): Promise<CampaignRecord> {
    const campaign = await this.deps.store.getCampaign(id);
    if (!campaign) throw unknownCampaign(id);
    return campaign;
  }

  list(filter: { state?: CampaignState; schedule?: string; limit?: number } = {}): Promise<CampaignRecord[]> {
    return this.deps.store.listCampaigns(filter);
  }

  /**
   * Queues the current step of every running campaign again: a process that stopped between
   * saving a step and queueing the next left a campaign without a job. A step queued already
   * is not queued twice (its dedupe key).
   */
  async resumeRunning(): Promise<number> {
    const running = await this.deps.store.listCampaigns({ state: 'running', limit: 1000 });
    for (const campaign of running) await this.#enqueueStep(campaign);
    return running.length;
  }

  #enqueueStep(campaign: CampaignRecord): Promise<unknown> {
    return this.deps.queue.enqueue(campaignStepJob({ campaign: campaign.id, step: campaign.step, idle: 0 }));
  }

  #limits(over: Partial<CampaignLimits> = {}): CampaignLimits {
    return { maxInFlight: over.maxInFlight ?? this.deps.defaults.maxInFlight, perMinute: over.perMinute ?? this.deps.defaults.perMinute ?? null };
  }

  /** The scanners, deduplicated, once all are registered (400 otherwise, or when none is). */
  checkScanners(scanners: string[] | null): string[] | null {
    const known = this.deps.knownScanners();
    if (known.length === 0) throw badRequest('no vulnerability scanner is registered (vulnerabilityScanners, or serve --adapter NAME=URL)');
    if (scanners === null) return null;
    const unknown = scanners.filter((name) => !known.includes(name));
    if (unknown.length > 0) throw badRequest(`no vulnerability scanner is registered as ${unknown.join(', ')} (registered: ${known.join(', ')})`);
    return [...new Set(scanners)];
  }
}

/** Starts the scan of everything stored by a newly registered scanner (the registrations' onScannerRegistered hook). */
export function startRegistrationCampaign(campaigns: ScanCampaigns, scanner: string) {
  return campaigns.start({ scope: { kind: 'all' }, scanners: [scanner], trigger: 'registration', createdBy: 'scangate' });
}

/** A campaign as the admin API and the CLI show it. */
export function campaignView(campaign: CampaignRecord) {
  const { enqueued, completed, failed, cancelled } = campaign;
  return {
    id: campaign.id,
    state: campaign.state,
    scope: formatScanScope(campaign.scope),
    scanners: campaign.scanners,
    trigger: campaign.trigger,
    schedule: campaign.schedule,
    createdBy: campaign.createdBy,
    limits: campaign.limits,
    progress: { total: campaign.total, enqueued, completed, failed, cancelled, inFlight: enqueued - completed - failed - cancelled, walked: campaign.walkDone },
    error: campaign.error,
    startedAt: campaign.startedAt.toISOString(),
    finishedAt: campaign.finishedAt?.toISOString() ?? null,
  };
}

export type CampaignView = ReturnType<typeof campaignView>;

function badRequest(message: string): RegistryError {
  return new RegistryError('UNSUPPORTED', message, { status: 400 });
}

function unknownCampaign(id: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `no vulnerability scan campaign ${id}`, { status: 404, detail: { campaign: id } });
}
