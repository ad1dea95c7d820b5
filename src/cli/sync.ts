// `scangate sync REMOTE [--repository R] [--tag T]`: downloads the selected tags of a remote
// ahead of any request (the `immediate` policy; a warm-up for the others), scans them with
// the configured scanners in this process, and tags only what arrived whole; the gate
// serves it once clean. A progress bar on stderr; one line per tag on stdout. A file remote
// syncs every file of its manifest instead (sync-files.ts).
import { Command } from 'commander';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { composeMigrated, type Services } from '../compose.js';
import { ConfigError, type ConfigFlags } from '../config/load.js';
import { isFileRemote } from '../config/remote-schema.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { createScanGate, type ScanGate } from '../quarantine/runtime.js';
import { createRemotes } from '../remotes/create.js';
import type { SyncedTag, SyncProgress } from '../remotes/sync.js';
import { formatBytes, progressBar } from './progress.js';
import { syncFileRemote, type SyncReport } from './sync-files.js';
import { collect, loadFromOptions, withConfigOptions, withScannerOptions } from './options.js';

interface SyncFlags extends ConfigFlags {
  repository?: string[];
  tag?: string[];
  waitSeconds?: string;
}

/** 0: every tag synced; 1: something was refused (infected or unscannable); 2: errors. */
export const syncExitCodes = { synced: 0, refused: 1, error: 2 } as const;

export function syncCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('sync'), { listen: false }), { noScan: false })
    .argument('<remote>', 'the remote to sync (a remotes[].name, or one given with --remote)')
    .option('--repository <name>', "an upstream repository to sync (repeatable; default: the remote's plain `repositories`)", collect)
    .option('--tag <tag>', 'a tag to sync (repeatable; default: every tag upstream)', collect)
    .option('--remote <NAME=URL[,...]>', 'a remote given as for `serve --remote` (repeatable)', collect)
    .option('--wait-seconds <n>', 'how long to wait for the verdicts of each image (default 600)')
    .description('download, scan and tag the selected content of a remote ahead of any request; exit 1 if any was refused')
    .action(async (remote: string, options: SyncFlags) => {
      process.exitCode = await runSync(remote, options).catch((err: unknown) => {
        if (err instanceof ConfigError) throw err;
        process.stderr.write(`scangate sync: ${err instanceof Error ? err.message : String(err)}\n`);
        return syncExitCodes.error;
      });
    });
}

async function runSync(remoteName: string, options: SyncFlags): Promise<number> {
  const loaded = (await loadFromOptions(options)).config;
  const waitSeconds = options.waitSeconds === undefined ? 600 : Number(options.waitSeconds);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new ConfigError('--wait-seconds', [`--wait-seconds ${options.waitSeconds}: expected a number of seconds`]);
  // The sync waits for its own verdicts: longer than a client's request would.
  const config: Config = { ...loaded, scanning: { ...loaded.scanning, manifestWaitSeconds: waitSeconds } };
  const quiet = options.logLevel === undefined && !process.env.SCANGATE_LOG_LEVEL;
  const logger = createLogger({ level: quiet ? 'warn' : config.log.level, destination: pino.destination({ fd: 2, sync: true }) });
  const fileRemote = config.remotes.filter(isFileRemote).find((remote) => remote.name === remoteName);
  if (fileRemote && (options.repository || options.tag)) throw new Error(`${remoteName} is a file remote: it syncs the files of its manifest, --repository and --tag do not apply`);
  const services = await composeMigrated(config);
  const gate = await createScanGate({ ...services, store: services.quarantine, config, logger });
  try {
    if (config.scanning.workers) gate.startWorkers();
    const bar = progressBar(process.stderr, `sync ${remoteName}`);
    const onProgress = (p: SyncProgress) => bar.update(p.bytesDone, p.bytesTotal, `${p.current} ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`);
    const report = fileRemote
      ? await syncFileRemote(fileRemote, { services, gate, logger, concurrency: config.scanning.concurrency }, onProgress)
      : await syncTags(remoteName, options, { config, services, gate, logger }, onProgress);
    bar.finish();
    process.stdout.write(report.text);
    if (report.outcomes.includes('error')) return syncExitCodes.error;
    return report.outcomes.includes('refused') ? syncExitCodes.refused : syncExitCodes.synced;
  } finally {
    await gate.stop();
    await services.close();
  }
}

async function syncTags(
  remoteName: string,
  options: SyncFlags,
  { config, services, gate, logger }: { config: Config; services: Services; gate: ScanGate; logger: Logger },
  onProgress: (p: SyncProgress) => void,
): Promise<SyncReport> {
  const remotes = await createRemotes({ config, blobs: services.blobs, metadata: services.metadata, gatekeeper: gate.gatekeeper, states: services.quarantine, logger, store: services.remotes });
  try {
    if (!remotes) throw new Error('no remotes are configured (remotes: in the config file, --remote, or the admin API)');
    const selection = { ...(options.repository ? { repositories: options.repository } : {}), ...(options.tag ? { tags: options.tag } : {}) };
    const results = await remotes.sync.sync(remoteName, selection, onProgress);
    return { text: describeResults(results), outcomes: results.map((r) => r.outcome) };
  } finally {
    await remotes?.close();
  }
}

export function describeResults(results: readonly SyncedTag[]): string {
  const lines = results.map((r) => `${r.repository}:${r.tag} ${r.outcome}${r.digest ? ` ${r.digest}` : ''}${r.message ? `: ${r.message}` : ''}`);
  const count = (outcome: SyncedTag['outcome']) => results.filter((r) => r.outcome === outcome).length;
  lines.push(`sync: ${count('synced')} synced, ${count('refused')} refused, ${count('error')} errors`);
  return `${lines.join('\n')}\n`;
}
