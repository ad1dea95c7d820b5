// `scangate sync REMOTE [--repository R] [--tag T]`: downloads the selected content of a remote
// ahead of any request (the `immediate` policy; a warm-up for the others), scans it with the
// configured scanners in this process, and makes visible only what arrived whole and clean: an
// OCI remote's selected tags, a file remote's every manifest file. A progress bar on stderr;
// one line per item on stdout and a summary. The admin API's POST /admin/remotes/NAME/sync runs
// the same sync (src/remotes/sync-runner.ts) as a job.
import { Command } from 'commander';
import { pino } from 'pino';
import { composeMigrated } from '../compose.js';
import { ConfigError, type ConfigFlags } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { createScanGate } from '../quarantine/runtime.js';
import { createRemotes, remotesDepsOf } from '../remotes/create.js';
import { unknownRemote } from '../remotes/remote-admin.js';
import { runRemoteSync, syncRequestProblem, type SyncItemResult, type SyncOutcome, type SyncRun } from '../remotes/sync-runner.js';
import type { SyncProgress } from '../remotes/sync.js';
import { formatBytes, progressBar } from './progress.js';
import { collect, loadFromOptions, withConfigOptions, withScannerOptions } from './options.js';

interface SyncFlags extends ConfigFlags {
  repository?: string[];
  tag?: string[];
  waitSeconds?: string;
}

/** 0: every item synced; 1: something was refused (infected or unscannable); 2: errors. */
export const syncExitCodes = { synced: 0, refused: 1, error: 2 } as const;

export function syncCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('sync'), { listen: false }), { noScan: false })
    .argument('<remote>', 'the remote to sync (a remotes[].name, one made through the admin API, or one given with --remote)')
    .option('--repository <name>', "an upstream repository to sync (repeatable; default: the remote's plain `repositories`)", collect)
    .option('--tag <tag>', 'a tag to sync (repeatable; default: every tag upstream)', collect)
    .option('--remote <NAME=URL[,...]>', 'a remote given as for `serve --remote` (repeatable)', collect)
    .option('--wait-seconds <n>', 'how long to wait for the verdicts of each image or file (default 600)')
    .description('download, scan and make visible the selected content of a remote ahead of any request; exit 1 if any was refused')
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
  const services = await composeMigrated(config);
  const gate = await createScanGate({ ...services, store: services.quarantine, config, logger });
  const remotes = await createRemotes(remotesDepsOf(config, services, gate, { logger, syncWaitMs: waitSeconds * 1000 }));
  try {
    if (config.scanning.workers) gate.startWorkers();
    const remote = remotes?.catalog.entry(remoteName)?.remote;
    if (!remotes || !remote) throw new Error(`${unknownRemote(remoteName).message} (remotes: in the config file, --remote, or the admin API)`);
    const selection = { ...(options.repository ? { repositories: options.repository } : {}), ...(options.tag ? { tags: options.tag } : {}) };
    const problem = syncRequestProblem(remote, selection);
    if (problem) throw new Error(problem);
    const bar = progressBar(process.stderr, `sync ${remoteName}`);
    const onProgress = (p: SyncProgress) => bar.update(p.bytesDone, p.bytesTotal, `${p.current} ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}`);
    const run = await runRemoteSync(remotes, remoteName, selection, onProgress);
    bar.finish();
    process.stdout.write(describeRun(run));
    const outcomes = run.results.map((r) => r.outcome);
    if (outcomes.includes('error')) return syncExitCodes.error;
    return outcomes.includes('refused') ? syncExitCodes.refused : syncExitCodes.synced;
  } finally {
    await gate.stop();
    await remotes?.close();
    await services.close();
  }
}

/** A line per item (`pre/library/app:v1 synced sha256:...`, `pre/-/x.exe refused sha256:...: malware found ...`) and a summary. */
export function describeRun(run: SyncRun): string {
  const lines = run.results.map((r: SyncItemResult) => `${r.item} ${r.outcome}${r.digest ? ` ${r.digest}` : ''}${r.message ? `: ${r.message}` : ''}`);
  const count = (outcome: SyncOutcome) => run.results.filter((r) => r.outcome === outcome).length;
  lines.push(
    run.kind === 'file'
      ? `sync: ${count('synced')} synced, ${count('current')} already here, ${count('refused')} refused, ${count('removed')} removed, ${count('error')} errors`
      : `sync: ${count('synced')} synced, ${count('refused')} refused, ${count('error')} errors`,
  );
  return `${lines.join('\n')}\n`;
}
