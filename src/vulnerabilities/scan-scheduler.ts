// Ticks the cron schedules of scan campaigns, in every process that runs scans. Each poll
// looks, per enabled schedule, for its latest tick not yet seen here and not older than the
// grace period, and asks the campaigns to decide it: the database decides a tick once for all
// processes (a row per tick; ScanCampaignStore.decideTick), so with many `serve` and `worker`
// processes on one PostgreSQL database a tick starts exactly one campaign, or is skipped, and
// recorded, while the schedule's previous campaign still runs. Nothing here is state a tick
// depends on: what this process remembers only saves it asking again.
//
// It also requeues, now and then, the step of every running campaign (resumeRunning): a
// process that died between two steps left a campaign waiting for a job nobody queued.
import type { Logger } from 'pino';
import { latestTick } from '../domain/cron-schedule.js';
import { RegistryError } from '../domain/errors.js';
import type { TickDecision } from '../ports/scan-campaign-store.js';
import type { ScanCampaigns } from './scan-campaigns.js';
import type { ScheduleEntry } from './scan-schedules.js';

export interface ScanSchedulerDeps {
  schedules: { entries(): Promise<ScheduleEntry[]> };
  campaigns: Pick<ScanCampaigns, 'decideTick' | 'resumeRunning'>;
  logger: Logger;
  clock?: () => Date;
  /** How often schedules are looked at (default 1 s: cron expressions may name seconds). */
  pollMs?: number;
  /** How late a tick may still start: a process (re)starting just after it (default 5 min). */
  graceMs?: number;
  /** How often running campaigns get their step requeued (default 30 s). */
  resumeEveryMs?: number;
}

export class ScanScheduler {
  readonly #deps: ScanSchedulerDeps;
  readonly #clock: () => Date;
  /** Per schedule, the latest tick this process saw decided. */
  readonly #seen = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #lastResume = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(deps: ScanSchedulerDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    const loop = () => {
      this.#running = this.#round().finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        this.#timer = setTimeout(loop, this.#deps.pollMs ?? 1000);
        this.#timer.unref();
      });
    };
    this.#timer = setTimeout(loop, 0);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Decides the due ticks of every enabled schedule; returns what this process decided or learnt. */
  async poll(): Promise<{ schedule: string; tickAt: Date; decision: TickDecision }[]> {
    const { logger } = this.#deps;
    const now = this.#clock();
    const decided: { schedule: string; tickAt: Date; decision: TickDecision }[] = [];
    for (const { definition, updatedAt } of await this.#deps.schedules.entries()) {
      if (!definition.enabled) continue;
      const notBefore = Math.max(now.getTime() - (this.#deps.graceMs ?? 300_000), updatedAt?.getTime() ?? Number.NEGATIVE_INFINITY, this.#seen.get(definition.name) ?? Number.NEGATIVE_INFINITY);
      const tickAt = latestTick(definition.cron, definition.timezone, now, new Date(notBefore));
      if (!tickAt) continue;
      const details = { schedule: definition.name, tick: tickAt.toISOString() };
      try {
        const decision = await this.#deps.campaigns.decideTick(definition, tickAt);
        decided.push({ schedule: definition.name, tickAt, decision });
        if (decision.outcome === 'started') logger.info({ ...details, campaign: decision.campaign.id }, 'scheduled vulnerability scan campaign started');
        else if (decision.outcome === 'skipped') logger.info({ ...details, reason: decision.tick.reason }, 'scheduled vulnerability scan skipped');
      } catch (error) {
        // The database failing: the next poll tries the tick again.
        if (!(error instanceof RegistryError)) throw error;
        // A schedule naming a scanner that is not registered: said once per tick, not every poll.
        logger.error({ ...details, err: error }, 'scheduled vulnerability scan could not start');
      }
      this.#seen.set(definition.name, tickAt.getTime());
    }
    return decided;
  }

  async #round(): Promise<void> {
    try {
      await this.poll();
      const now = this.#clock().getTime();
      if (now - this.#lastResume >= (this.#deps.resumeEveryMs ?? 30_000)) {
        this.#lastResume = now;
        await this.#deps.campaigns.resumeRunning();
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'vulnerability scan schedules: a round failed; trying again at the next');
    }
  }
}
