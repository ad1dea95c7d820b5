// `scangate scan PATH...`: scans local files, directories and OCI image layouts with the
// configured scanners, for CI pipelines. Prints a line per finding and per error as they
// come, as clamscan does, then a summary (or everything as JSON), and exits as clamscan.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { pino, type Logger } from 'pino';
import type { ConfigFlags } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { createScanners, type ScannerRuntime } from '../scanners/factory.js';
import { findTargets, scanTargets, type ScanFailure, type ScanFinding, type ScanTarget, type TargetOutcome } from '../scanners/scan-files.js';
import { loadFromOptions, withConfigOptions, withScannerOptions } from './options.js';
import { formatBytes, progressBar, type ProgressBar } from './progress.js';

interface ScanFlags extends ConfigFlags {
  json?: boolean;
}

export const scanExitCodes = { clean: 0, infected: 1, error: 2 } as const;

const exitCodeHelp = `
Scanners: those of the config file plus --clamd and --scan-command; with none given, the
managed clamd of the config's default (started under --data, stopped at exit). Every file
is scanned by every scanner (scanning.require and scanning.enabled are for serve). Logs go
to stderr: warnings only, unless --log-level or SCANGATE_LOG_LEVEL asks for more.

Exit codes (as clamscan's):
  0  every file was scanned by every scanner and found clean
  1  something was found infected, even if other files had errors: malware is the
     finding a pipeline must act on, the run fails either way, and clamscan does the same
  2  nothing infected, but an error: a path that cannot be read, or a scan that could
     not finish (scanner down, timeout, size limit, interrupted) is never counted as
     clean; also bad usage, a bad config, or a scanner that cannot start
`;

/** Above these, a terminal gets a progress bar on stderr. */
const barFromFiles = 20;
const barFromBytes = 64 * 1024 * 1024;

export function scanCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('scan'), { listen: false }), { noScan: false })
    .description('scan files, directories (recursively) and OCI image layouts; exit 0 clean, 1 infected, 2 error')
    .argument('<paths...>', 'files, directories or OCI image layouts (a directory with oci-layout and index.json)')
    .option('--json', 'print the report as JSON instead of lines and a summary')
    .addHelpText('after', exitCodeHelp)
    // Usage errors exit 2, never 1: a pipeline must not read a typo as "infected".
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : scanExitCodes.error))
    .action(async (paths: string[], options: ScanFlags) => {
      process.exitCode = await runScan(paths, options).catch((err: unknown) => {
        process.stderr.write(`scangate: ${err instanceof Error ? err.message : String(err)}\n`);
        return scanExitCodes.error;
      });
    });
}

async function runScan(paths: string[], options: ScanFlags): Promise<number> {
  const { config } = await loadFromOptions(options);
  const logger = createLogger({ level: logLevel(options, config), destination: pino.destination({ fd: 2, sync: true }) });
  const started = Date.now();
  const found = await findTargets(paths);
  const interrupt = interruptOnSignals(logger);
  const bar = barFor(found.targets);
  const engines = new Map<string, string>();
  let runtime: ScannerRuntime | undefined;
  try {
    runtime = await createScanners(config.scanning, resolve(config.data), logger);
    if (runtime.scanners.length === 0) throw new Error('no scanner configured (scanning.scanners is empty): nothing would be scanned');
    const print = (line: string) => {
      bar.finish(); // clears the bar's line; its next update draws it again below
      process.stdout.write(`${line}\n`);
    };
    if (!options.json) found.failures.forEach((f) => print(errorLine(f)));
    const outcomes = await scanTargets(found.targets, runtime.scanners, {
      concurrency: config.scanning.concurrency,
      signal: interrupt.signal,
      onProgress: (done, total, files) => bar.update(done, total, `${files}/${found.targets.length} files`),
      onEngine: (scanner, engine) => engines.set(scanner, engine),
      onOutcome: (outcome) => {
        if (!options.json) describeOutcome(outcome).forEach(print);
      },
    });
    bar.finish();
    const report = buildReport(found.targets, found.failures, outcomes, runtime.scanners.map((s) => s.name), engines, Date.now() - started);
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${summaryLine(report)}\n`);
    return report.exitCode;
  } finally {
    bar.finish();
    interrupt.dispose();
    await runtime?.close();
  }
}

/** Logs go to stderr (stdout is the report), warnings only unless a level was asked for. */
function logLevel(options: ScanFlags, config: Config): Config['log']['level'] {
  return options.logLevel !== undefined || process.env.SCANGATE_LOG_LEVEL ? config.log.level : 'warn';
}

/** SIGINT/SIGTERM stop the scan (files not done count as errors); a second one exits at once. */
function interruptOnSignals(logger: Logger) {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(scanExitCodes.error);
    logger.warn({ signal }, 'interrupted: stopping the scan');
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function barFor(targets: readonly ScanTarget[]): ProgressBar {
  const bytes = targets.reduce((sum, t) => sum + t.size, 0);
  const worthIt = targets.length >= barFromFiles || bytes >= barFromBytes;
  return worthIt ? progressBar(process.stderr, 'scan') : { update: () => {}, finish: () => {} };
}

function describeOutcome(outcome: TargetOutcome): string[] {
  return [...outcome.findings.map(findingLine), ...outcome.failures.map(errorLine)];
}

/** `path: Signature FOUND (scanner)`, as clamscan prints it, with the scanner that found it. */
function findingLine(finding: ScanFinding): string {
  return `${finding.target.name}: ${finding.signature} FOUND (${finding.scanner})`;
}

function errorLine(failure: ScanFailure): string {
  return `${failure.name}: ${failure.message} ERROR`;
}

export interface ScanReport {
  result: 'clean' | 'infected' | 'error';
  exitCode: number;
  files: number;
  bytes: number;
  infectedFiles: number;
  seconds: number;
  scanners: { name: string; engine?: string }[];
  findings: { path: string; name: string; scanner: string; signature: string; detail?: string; layout?: string; digest?: string; roles?: string[] }[];
  errors: { path: string; name: string; scanner?: string; message: string }[];
}

function buildReport(
  targets: readonly ScanTarget[],
  pathFailures: readonly ScanFailure[],
  outcomes: readonly TargetOutcome[],
  scanners: readonly string[],
  engines: ReadonlyMap<string, string>,
  elapsedMs: number,
): ScanReport {
  const findings = outcomes.flatMap((o) => o.findings);
  const errors = [...pathFailures, ...outcomes.flatMap((o) => o.failures)];
  const result = findings.length > 0 ? 'infected' : errors.length > 0 ? 'error' : 'clean';
  return {
    result,
    exitCode: scanExitCodes[result],
    files: targets.length,
    bytes: targets.reduce((sum, t) => sum + t.size, 0),
    infectedFiles: outcomes.filter((o) => o.findings.length > 0).length,
    seconds: Math.round(elapsedMs) / 1000,
    scanners: scanners.map((name) => ({ name, ...(engines.has(name) ? { engine: engines.get(name)! } : {}) })),
    findings: findings.map(({ target, scanner, signature, detail }) => ({
      path: target.path,
      name: target.name,
      scanner,
      signature,
      ...(detail ? { detail } : {}),
      ...(target.blob ? { layout: target.blob.layout, digest: target.blob.digest, roles: target.blob.roles } : {}),
    })),
    errors: errors.map(({ path, name, scanner, message }) => ({ path, name, ...(scanner ? { scanner } : {}), message })),
  };
}

function summaryLine(report: ScanReport): string {
  const scanners = report.scanners.map((s) => (s.engine ? `${s.name} (${s.engine})` : s.name)).join(', ');
  return (
    `scan: ${count(report.infectedFiles, 'infected file')}, ${count(report.errors.length, 'error')}; ` +
    `scanned ${count(report.files, 'file')} (${formatBytes(report.bytes)}) with ${scanners || 'no scanner'} in ${report.seconds.toFixed(1)} s`
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
