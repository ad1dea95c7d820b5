// `scangate rescan REF`: queues a vulnerability scan of an artifact (NAME:TAG or NAME@DIGEST)
// by the scanner adapters of its repository (those of the config file and the admin API, as
// its namespace chose); the workers of the serve processes on the same
// database run it. Prints one line per job; exit 0 when queued, 2 on bad input.
// `scangate rescan --all | --namespace NS | --repository R`: a scan campaign over everything in
// that scope (rescan-campaign.ts), with its progress until it ends (--wait, the default on a
// terminal); `--status ID` and `--stop ID` show or stop one.
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { composeMigrated, type Services } from '../compose.js';
import type { ConfigFlags } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { parseScanScope, type ScanScope } from '../domain/scan-scope.js';
import { AdapterRegistry } from '../vulnerabilities/adapter-registry.js';
import { registeredScanners } from '../vulnerabilities/campaign-services.js';
import { queueRescan, RescanError } from '../vulnerabilities/rescan.js';
import { collect, loadFromOptions, withConfigOptions } from './options.js';
import { parseArtifactRef } from './policy-check.js';
import { CampaignInputError, runCampaignCommand, type CampaignCommand } from './rescan-campaign.js';

interface RescanOptions extends ConfigFlags {
  all?: boolean;
  namespace?: string;
  repository?: string;
  scanner?: string[];
  maxInFlight?: number;
  perMinute?: number;
  wait?: boolean;
  status?: string;
  stop?: string;
}

const positiveInteger = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
};

export function rescanCommand(): Command {
  return withConfigOptions(new Command('rescan'), { listen: false })
    .argument('[ref]', 'NAME:TAG or NAME@DIGEST: scan that artifact again')
    .option('--all', 'start a scan campaign over every image stored')
    .option('--namespace <NS>', 'start a scan campaign over the images of a namespace')
    .option('--repository <NAME>', 'start a scan campaign over the images of a repository')
    .option('--scanner <NAME>', 'a campaign by this scanner only (repeatable; default: every registered one)', collect)
    .option('--max-in-flight <N>', "a campaign's scans queued or running at once (default: vulnerabilityScanning.campaigns)", positiveInteger)
    .option('--per-minute <N>', "a campaign's scans queued per minute at most", positiveInteger)
    .option('--wait', "show the campaign's progress until it ends (the default on a terminal)")
    .option('--no-wait', 'start the campaign and return')
    .option('--status <ID>', "show a campaign's progress")
    .option('--stop <ID>', 'stop a campaign: nothing more is queued, its queued scans are dropped')
    .option('--adapter <NAME=URL>', 'the scanner adapters, as given to serve (when not in the config file; repeatable)', collect)
    .description('scan an artifact, or everything in a scope (a campaign), again with the scanner adapters of its repositories (docs/vulnerability-scanners.md)')
    .action(async (ref: string | undefined, options: RescanOptions) => {
      process.exitCode = await runRescan(ref, options).catch((err: unknown) => {
        process.stderr.write(`scangate: ${err instanceof Error ? err.message : String(err)}\n`);
        return 2;
      });
    });
}

async function runRescan(ref: string | undefined, options: RescanOptions): Promise<number> {
  const campaign = campaignCommandOf(ref, options);
  if (campaign === undefined && ref === undefined) throw new RescanError('name an artifact (NAME:TAG or NAME@DIGEST), or --all, --namespace, --repository, --status or --stop');
  const artifact = campaign === undefined ? artifactOf(ref!) : undefined;
  const { config } = await loadFromOptions(options);
  const services = await composeMigrated(config);
  let registry: AdapterRegistry | undefined;
  try {
    // Read once, no timer: the scanners and choices as of now. Its clients are never built here.
    registry = await AdapterRegistry.open({
      configured: config.vulnerabilityScanners,
      configuredNamespaces: config.vulnerabilityScanning.namespaces,
      store: services.scannerRegistrations,
      logger: pino({ level: 'silent' }),
      reloadIntervalMs: 0,
    });
    if (artifact) return await rescanArtifact(artifact, config, services, registry);
    const scanners = registeredScanners(() => registry);
    return await runCampaignCommand(campaign!, config, services, scanners, { stdout: process.stdout, stderr: process.stderr });
  } catch (error) {
    if (error instanceof CampaignInputError) throw new RescanError(error.message);
    throw error;
  } finally {
    await registry?.close();
    await services.close();
  }
}

/** The campaign the options ask for, if any (exactly one of ref, scope, --status, --stop). */
export function campaignCommandOf(ref: string | undefined, options: RescanOptions): CampaignCommand | undefined {
  const scopes: ScanScope[] = [];
  if (options.all) scopes.push({ kind: 'all' });
  if (options.namespace !== undefined) scopes.push(scopeOf(`namespace:${options.namespace}`));
  if (options.repository !== undefined) scopes.push(scopeOf(`repository:${options.repository}`));
  const asked = (ref === undefined ? 0 : 1) + scopes.length + (options.status === undefined ? 0 : 1) + (options.stop === undefined ? 0 : 1);
  if (asked > 1) throw new RescanError('give one of: an artifact, --all, --namespace, --repository, --status, --stop');
  if (options.status !== undefined) return { kind: 'status', id: options.status };
  if (options.stop !== undefined) return { kind: 'stop', id: options.stop };
  if (scopes.length === 0) return undefined;
  return {
    kind: 'start',
    scope: scopes[0]!,
    scanners: options.scanner ?? null,
    ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
    ...(options.perMinute ? { perMinute: options.perMinute } : {}),
    wait: options.wait ?? process.stdout.isTTY === true,
  };
}

function scopeOf(text: string): ScanScope {
  const scope = parseScanScope(text);
  if ('error' in scope) throw new RescanError(scope.error);
  return scope;
}

function artifactOf(ref: string): { repository: string; reference: string } {
  const { repository, reference } = parseArtifactRef(ref);
  if (reference === undefined) throw new RescanError(`${ref}: name a tag or a digest (NAME:TAG or NAME@DIGEST)`);
  return { repository, reference };
}

async function rescanArtifact(artifact: { repository: string; reference: string }, config: Config, services: Services, registry: AdapterRegistry): Promise<number> {
  const { repository, reference } = artifact;
  const queued = await queueRescan(
    { metadata: services.metadata, queue: services.queue, scannersFor: registry.scannersFor, maxAttempts: config.scanning.retry.maxAttempts },
    repository,
    reference,
  );
  for (const job of queued.jobs) process.stdout.write(`${job.deduplicated ? 'already queued' : 'queued'} ${job.scanner} ${repository}@${job.digest} (job ${job.id})\n`);
  return 0;
}
