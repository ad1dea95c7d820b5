// The campaign side of `scangate rescan`: start a scan campaign over everything (--all), a
// namespace or a repository, and with --wait (the default on a terminal) show its progress
// until it ends; or show (--status ID) or stop (--stop ID) one. It works on the database: the
// workers of the serve and worker processes sharing it run the campaign. Exit codes: 0 done
// (or started, without --wait), 1 a campaign that ended with failed scans or was stopped, 2 bad
// input.
import type { Services } from '../compose.js';
import type { Config } from '../config/schema.js';
import { isRegistryError } from '../domain/errors.js';
import type { ScanScope } from '../domain/scan-scope.js';
import { createCampaignServices, type CampaignServices, type ScannerRegistry } from '../vulnerabilities/campaign-services.js';
import { campaignView, type CampaignView } from '../vulnerabilities/scan-campaigns.js';
import { progressBar } from './progress.js';

export type CampaignCommand =
  | { kind: 'start'; scope: ScanScope; scanners: string[] | null; maxInFlight?: number; perMinute?: number; wait: boolean }
  | { kind: 'status'; id: string }
  | { kind: 'stop'; id: string };

export interface CampaignIo {
  stdout: NodeJS.WritableStream;
  /** The progress bar's stream (drawn only on a terminal). */
  stderr: NodeJS.WriteStream;
  /** How often --wait looks at the progress (default 500 ms). */
  pollMs?: number;
}

/** Failed scans listed by --status. */
const failuresListed = 10;

export async function runCampaignCommand(command: CampaignCommand, config: Config, services: Services, scanners: ScannerRegistry, io: CampaignIo): Promise<number> {
  const campaigns = createCampaignServices(config, services, { registry: scanners });
  try {
    switch (command.kind) {
      case 'status':
        return await printStatus(campaigns, command.id, io);
      case 'stop': {
        const view = campaignView(await campaigns.campaigns.stop(command.id));
        io.stdout.write(`${summary(view)}\n`);
        return 0;
      }
      case 'start':
        return await start(campaigns, command, io);
    }
  } catch (error) {
    // 4xx of the services (unknown campaign, scanner not registered): the operator's input.
    if (isRegistryError(error) && error.status < 500) throw new CampaignInputError(error.message);
    throw error;
  }
}

export class CampaignInputError extends Error {}

async function start(services: CampaignServices, command: Extract<CampaignCommand, { kind: 'start' }>, io: CampaignIo): Promise<number> {
  const limits = { ...(command.maxInFlight ? { maxInFlight: command.maxInFlight } : {}), ...(command.perMinute ? { perMinute: command.perMinute } : {}) };
  const campaign = await services.campaigns.start({ scope: command.scope, scanners: command.scanners, trigger: 'manual', createdBy: 'cli', limits });
  const view = campaignView(campaign);
  io.stdout.write(`started vulnerability scan campaign ${view.id} (scope ${view.scope}, scanners: ${view.scanners?.join(', ') ?? 'every registered one'})\n`);
  if (!command.wait) {
    io.stdout.write(`a serve or worker process on this database runs it; see \`scangate rescan --status ${view.id}\`\n`);
    return 0;
  }
  const ended = await waitForEnd(services, view.id, io);
  io.stdout.write(`${summary(ended)}\n`);
  return ended.state === 'finished' && ended.progress.failed === 0 ? 0 : 1;
}

/** Polls the campaign, drawing its progress, until it is no longer running. */
async function waitForEnd(services: CampaignServices, id: string, io: CampaignIo): Promise<CampaignView> {
  const bar = progressBar(io.stderr, 'rescan');
  try {
    for (;;) {
      const view = campaignView(await services.campaigns.get(id));
      const { total, completed, failed, cancelled } = view.progress;
      bar.update(completed + failed + cancelled, total ?? 0, `${completed} scanned, ${failed} failed${view.progress.walked ? '' : ' (still walking)'}`);
      if (view.state !== 'running') return view;
      await new Promise((resolve) => setTimeout(resolve, io.pollMs ?? 500));
    }
  } finally {
    bar.finish();
  }
}

async function printStatus(services: CampaignServices, id: string, io: CampaignIo): Promise<number> {
  const view = campaignView(await services.campaigns.get(id));
  const failures = await services.store.listItems(id, 'failed', failuresListed);
  const lines = [
    summary(view),
    `  trigger ${view.trigger}${view.schedule ? ` (schedule ${view.schedule})` : ''}, by ${view.createdBy}, scanners: ${view.scanners?.join(', ') ?? 'every registered one'}`,
    `  started ${view.startedAt}${view.finishedAt ? `, ended ${view.finishedAt}` : ''}`,
    ...(view.error ? [`  error: ${view.error}`] : []),
    ...failures.map((f) => `  failed: ${f.scanner} ${f.repository}@${f.digest}: ${f.error ?? ''}`),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `campaign ID STATE: scope all, 3 of 5 scanned, 1 failed, 0 cancelled, 1 in flight`. */
export function summary(view: CampaignView): string {
  const { total, completed, failed, cancelled, inFlight } = view.progress;
  const of = total === null ? '' : ` of ${total}`;
  return `campaign ${view.id} ${view.state}: scope ${view.scope}, ${completed}${of} scanned, ${failed} failed, ${cancelled} cancelled, ${inFlight} in flight`;
}
