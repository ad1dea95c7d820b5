// The cron schedules of scan campaigns: those of the config file
// (vulnerabilityScanning.schedules), listed but owned by the file (changing one answers 409),
// and those made through the admin API, stored in the database so that every process ticks
// them. Disabling or deleting a schedule also stops its running campaign.
// http/admin/scan-schedule-routes.ts is the HTTP face; scan-scheduler.ts ticks them.
import type { ScanScheduleConfig } from '../config/vulnerability-scanner-schema.js';
import { nextTick } from '../domain/cron-schedule.js';
import { RegistryError } from '../domain/errors.js';
import { formatScanScope, parseScanScope } from '../domain/scan-scope.js';
import type { ScanCampaignStore } from '../ports/scan-campaign-store.js';
import type { ScanScheduleDefinition, ScanScheduleStore } from '../ports/scan-schedule-store.js';
import type { ScanCampaigns } from './scan-campaigns.js';

export interface ScheduleEntry {
  definition: ScanScheduleDefinition;
  source: 'config' | 'api';
  /** When it was last changed through the API (ticks before are not started); null for the config's. */
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface ScanSchedulesDeps {
  configured: readonly ScanScheduleConfig[];
  store: ScanScheduleStore;
  /** The ticks each schedule decided. */
  ticks: Pick<ScanCampaignStore, 'listTicks'>;
  campaigns: ScanCampaigns;
  clock?: () => Date;
}

/** Ticks shown with a schedule. */
const recentTicks = 5;

export class ScanSchedules {
  readonly #configured: ScheduleEntry[];

  constructor(private readonly deps: ScanSchedulesDeps) {
    this.#configured = deps.configured.map((schedule) => ({ definition: definitionOf(schedule), source: 'config', updatedAt: null, updatedBy: null }));
  }

  /** Every schedule: the config file's, then the API's (a name the file took later hides the API's). */
  async entries(): Promise<ScheduleEntry[]> {
    const taken = new Set(this.#configured.map((entry) => entry.definition.name));
    const stored = (await this.deps.store.listSchedules())
      .filter((s) => !taken.has(s.schedule.name))
      .map((s): ScheduleEntry => ({ definition: s.schedule, source: 'api', updatedAt: s.updatedAt, updatedBy: s.updatedBy }));
    return [...this.#configured, ...stored];
  }

  async list() {
    return Promise.all((await this.entries()).map((entry) => this.#view(entry)));
  }

  async get(name: string) {
    return this.#view(await this.#existing(name));
  }

  /** A new schedule; 409 when the name is taken. */
  async create(input: ScanScheduleConfig, actor: string) {
    const definition = this.#usable(input);
    this.#refuseConfigured(definition.name);
    if (!(await this.deps.store.createSchedule(definition, actor))) {
      throw new RegistryError('UNSUPPORTED', `scan schedule ${definition.name} exists; change it with PUT`, { status: 409, detail: { reason: 'exists', schedule: definition.name } });
    }
    return this.get(definition.name);
  }

  /** Creates or replaces the schedule. */
  async put(input: ScanScheduleConfig, actor: string) {
    const definition = this.#usable(input);
    this.#refuseConfigured(definition.name);
    let created = false;
    // Update, else create; made by another admin in between: update it after all.
    while (!(await this.deps.store.updateSchedule(definition, actor))) {
      if (await this.deps.store.createSchedule(definition, actor)) {
        created = true;
        break;
      }
    }
    if (!definition.enabled) await this.#stopRunning(definition.name);
    return { view: await this.get(definition.name), created };
  }

  async delete(name: string): Promise<void> {
    this.#refuseConfigured(name);
    if (!(await this.deps.store.deleteSchedule(name))) throw unknownSchedule(name);
    await this.#stopRunning(name);
  }

  async #view(entry: ScheduleEntry) {
    const { definition } = entry;
    const now = (this.deps.clock ?? (() => new Date()))();
    const ticks = await this.deps.ticks.listTicks(definition.name, recentTicks);
    return {
      name: definition.name,
      cron: definition.cron,
      timezone: definition.timezone,
      scope: formatScanScope(definition.scope),
      scanners: definition.scanners,
      enabled: definition.enabled,
      source: entry.source,
      nextTick: definition.enabled ? (nextTick(definition.cron, definition.timezone, now)?.toISOString() ?? null) : null,
      ticks: ticks.map((t) => ({ at: t.tickAt.toISOString(), outcome: t.outcome, campaign: t.campaignId, reason: t.reason })),
      ...(entry.updatedAt ? { updatedAt: entry.updatedAt.toISOString(), updatedBy: entry.updatedBy } : {}),
    };
  }

  async #existing(name: string): Promise<ScheduleEntry> {
    const entry = (await this.entries()).find((e) => e.definition.name === name);
    if (!entry) throw unknownSchedule(name);
    return entry;
  }

  async #stopRunning(name: string): Promise<void> {
    for (const campaign of await this.deps.campaigns.list({ schedule: name, state: 'running' })) await this.deps.campaigns.stop(campaign.id);
  }

  #usable(input: ScanScheduleConfig): ScanScheduleDefinition {
    const definition = definitionOf(input);
    if (definition.scanners !== null) this.deps.campaigns.checkScanners(definition.scanners);
    return definition;
  }

  #refuseConfigured(name: string): void {
    if (!this.#configured.some((entry) => entry.definition.name === name)) return;
    throw new RegistryError('UNSUPPORTED', `scan schedule ${name} is defined in the config file: edit the file (and restart) to change it`, {
      status: 409,
      detail: { reason: 'config', schedule: name },
    });
  }
}

export type ScheduleView = Awaited<ReturnType<ScanSchedules['get']>>;

/** The definition of a schedule as the config schema gave it (its scope valid already). */
export function definitionOf(schedule: ScanScheduleConfig): ScanScheduleDefinition {
  const scope = parseScanScope(schedule.scope);
  if ('error' in scope) throw new RegistryError('UNSUPPORTED', `invalid scope: ${scope.error}`, { status: 400 });
  return { name: schedule.name, cron: schedule.cron, timezone: schedule.timezone ?? null, scope, scanners: schedule.scanners ?? null, enabled: schedule.enabled };
}

function unknownSchedule(name: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `no scan schedule is named ${name}`, { status: 404, detail: { schedule: name } });
}
