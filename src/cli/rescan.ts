// `scangate rescan REF`: queues a vulnerability scan of an artifact (NAME:TAG or NAME@DIGEST)
// by the scanner adapters of its repository (those of the config file and the admin API, as
// its namespace chose); the workers of the serve processes on the same
// database run it. Prints one line per job; exit 0 when queued, 2 on bad input.
import { Command } from 'commander';
import { composeMigrated } from '../compose.js';
import type { ConfigFlags } from '../config/load.js';
import { pino } from 'pino';
import { AdapterRegistry } from '../vulnerabilities/adapter-registry.js';
import { queueRescan, RescanError } from '../vulnerabilities/rescan.js';
import { collect, loadFromOptions, withConfigOptions } from './options.js';
import { parseArtifactRef } from './policy-check.js';

export function rescanCommand(): Command {
  return withConfigOptions(new Command('rescan'), { listen: false })
    .argument('<ref>', 'NAME:TAG or NAME@DIGEST')
    .option('--adapter <NAME=URL>', 'the scanner adapters, as given to serve (when not in the config file; repeatable)', collect)
    .description('queue a vulnerability scan of an artifact by the scanner adapters of its repository (docs/vulnerability-scanners.md)')
    .action(async (ref: string, options: ConfigFlags) => {
      process.exitCode = await runRescan(ref, options).catch((err: unknown) => {
        process.stderr.write(`scangate: ${err instanceof Error ? err.message : String(err)}\n`);
        return 2;
      });
    });
}

async function runRescan(ref: string, options: ConfigFlags): Promise<number> {
  const { repository, reference } = parseArtifactRef(ref);
  if (reference === undefined) throw new RescanError(`${ref}: name a tag or a digest (NAME:TAG or NAME@DIGEST)`);
  const { config } = await loadFromOptions(options);
  const services = await composeMigrated(config);
  // Read once, no timer: the choice as of now. Its clients are never built here.
  const registry = await AdapterRegistry.open({
    configured: config.vulnerabilityScanners,
    configuredNamespaces: config.vulnerabilityScanning.namespaces,
    store: services.scannerRegistrations,
    logger: pino({ level: 'silent' }),
    reloadIntervalMs: 0,
  }).catch(async (err: unknown) => {
    await services.close();
    throw err;
  });
  try {
    const queued = await queueRescan(
      { metadata: services.metadata, queue: services.queue, scannersFor: registry.scannersFor, maxAttempts: config.scanning.retry.maxAttempts },
      repository,
      reference,
    );
    for (const job of queued.jobs) process.stdout.write(`${job.deduplicated ? 'already queued' : 'queued'} ${job.scanner} ${repository}@${job.digest} (job ${job.id})\n`);
    return 0;
  } finally {
    await registry.close();
    await services.close();
  }
}
