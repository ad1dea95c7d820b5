// The command adapter of the Scanner port (as Pulp's): an argv template run without a
// shell, given the subject as a named file. Exit 0 = clean, 1 = infected (the output is
// kept as the finding), anything else, a signal or a timeout = ScannerError.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import { engineVersion, ScannerError, type EngineVersion, type ScanResult, type ScanSubject, type Scanner } from '../../ports/scanner.js';
import { parseArgvTemplate, renderArgv, splitCommandLine } from './argv-template.js';
import { runProcess, type RunOutcome } from './run-process.js';
import { materialise, placeholderValues } from './scan-file.js';
import { recentAnswer } from '../recent-answer.js';

export interface CommandScannerOptions {
  name: string;
  /** `clamscan --no-summary -- {path}`, or the same as an array of arguments. */
  command: string | readonly string[];
  /** A command whose first output line is the engine/database version (e.g. `clamscan --version`). */
  versionCommand?: string | readonly string[];
  timeoutMs?: number;
  /** Bytes of output kept as the finding. */
  outputCap?: number;
}

export const commandScannerDefaults = { timeoutMs: 10 * 60_000, outputCap: 64 * 1024 } as const;

export class CommandScanner implements Scanner {
  readonly kind = 'command';
  readonly name: string;
  private readonly argv: string[];
  private readonly versionArgv?: string[];
  /** A version command is a process per call: a scan job and its scan share one answer. */
  private readonly version = recentAnswer(1000, () => this.askVersion());

  constructor(private readonly options: CommandScannerOptions) {
    this.name = options.name;
    this.argv = parseArgvTemplate(options.command);
    const version = options.versionCommand;
    if (version) this.versionArgv = typeof version === 'string' ? splitCommandLine(version) : [...version];
  }

  async health(): Promise<void> {
    if (this.versionArgv) {
      await this.engine();
      return;
    }
    if (!(await isExecutable(this.argv[0]!))) {
      throw new ScannerError(this.name, `${this.argv[0]} is not an executable file`, { retryable: true });
    }
  }

  engine(): Promise<EngineVersion> {
    return this.version();
  }

  private async askVersion(): Promise<EngineVersion> {
    const program = basename(this.argv[0]!);
    if (!this.versionArgv) return engineVersion(program, '');
    const outcome = await this.run(this.versionArgv, commandScannerDefaults.outputCap, 30_000);
    if (outcome.code !== 0) throw this.failure('version command', outcome);
    return engineVersion(program, outcome.output.trim().split('\n')[0]!.trim());
  }

  async scan(subject: ScanSubject, signal?: AbortSignal): Promise<ScanResult> {
    const started = performance.now();
    const engine = await this.engine();
    // The copy shares the scan's time budget: a stalled source must not hold a worker forever.
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? commandScannerDefaults.timeoutMs);
    const copySignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const file = await materialise(subject, copySignal).catch((err: unknown) => {
      if (signal?.aborted) throw signal.reason;
      throw new ScannerError(this.name, `cannot write the file to scan: ${(err as Error).message}`, { retryable: true, cause: err });
    });
    try {
      const argv = renderArgv(this.argv, placeholderValues(subject, file.path));
      const outcome = await this.run(argv, this.options.outputCap ?? commandScannerDefaults.outputCap, undefined, signal);
      if (signal?.aborted) throw signal.reason;
      const durationMs = performance.now() - started;
      if (outcome.code === 0 && !outcome.timedOut) return { verdict: 'clean', findings: [], engine, durationMs };
      if (outcome.code === 1 && !outcome.timedOut) {
        const finding = { signature: signatureIn(outcome.output) ?? `${basename(this.argv[0]!)} exit 1`, detail: outcome.output };
        return { verdict: 'infected', findings: [finding], engine, durationMs };
      }
      throw this.failure('scan', outcome);
    } finally {
      await file.dispose();
    }
  }

  private async run(argv: readonly string[], outputCap: number, timeoutMs?: number, signal?: AbortSignal): Promise<RunOutcome> {
    try {
      return await runProcess(argv, { timeoutMs: timeoutMs ?? this.options.timeoutMs ?? commandScannerDefaults.timeoutMs, outputCap, signal });
    } catch (err) {
      // Could not start at all (ENOENT, EACCES): retrying will not help until someone acts.
      throw new ScannerError(this.name, `cannot run ${argv[0]}: ${(err as Error).message}`, { retryable: false, cause: err });
    }
  }

  private failure(what: string, outcome: RunOutcome): ScannerError {
    const how = outcome.timedOut ? 'timed out' : outcome.signal ? `killed by ${outcome.signal}` : `exit ${outcome.code}`;
    const tail = outcome.output.trim().slice(-500);
    return new ScannerError(this.name, `${what} failed (${how})${tail ? `: ${tail}` : ''}`, { retryable: true });
  }
}

/** `…: Eicar-Signature FOUND` as clamscan and clamdscan print it; undefined for other tools. */
function signatureIn(output: string): string | undefined {
  return /: (\S.*?) FOUND$/m.exec(output)?.[1];
}

async function isExecutable(program: string): Promise<boolean> {
  const candidates = program.includes('/') ? [program] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return true;
  }
  return false;
}
