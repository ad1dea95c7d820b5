// The clamd adapter of the Scanner port: PING for health, VERSION for the verdict-cache
// key, INSTREAM for the bytes (zstd layers decoded first), or SCAN of the stored file when
// clamd can read it where it is. Every way a scan can fail to finish (connection refused,
// size limit, early close, timeout, ERROR) throws.
import { open } from 'node:fs/promises';
import type { NetConnectOpts } from 'node:net';
import { addAbortSignal } from 'node:stream';
import { ScannerError, type EngineVersion, type ScanResult, type ScanSubject, type Scanner } from '../../ports/scanner.js';
import { parseClamdAddress } from './address.js';
import { sendCommand } from './connection.js';
import { decompressForScan, DecompressError, zstdMagic } from './decompress.js';
import { sendInstream, type InstreamOutcome } from './instream.js';
import { isSizeLimitReply, parseScanReply, parseVersionReply, type ScanReply } from './replies.js';
import { recentAnswer } from '../recent-answer.js';

export interface ClamdScannerOptions {
  name: string;
  /** `tcp://HOST:PORT` or `unix:///PATH`. */
  address: string;
  /** The most a whole scan may take, bytes sent and verdict received. */
  timeoutMs?: number;
  /** The most PING and VERSION may take. */
  commandTimeoutMs?: number;
  /** INSTREAM chunk size in bytes. */
  chunkSize?: number;
  zstdCommand?: string;
  /**
   * clamd runs on this host and can read scangate's blob files: a subject with a stored
   * file is scanned with SCAN <path> (clamd reads it itself) instead of INSTREAM, which
   * sends every byte through a socket and makes clamd spool a copy to its temporary
   * directory first. zstd layers are still streamed (decoded); a file clamd cannot read
   * (not allowed, moved meanwhile) is streamed instead, with the same verdict.
   */
  scanInPlace?: boolean;
}

export const clamdScannerDefaults = {
  timeoutMs: 10 * 60_000,
  commandTimeoutMs: 10_000,
  // Measured against a sink (200 MB): 64 KiB 127 MB/s, 256 KiB 423 MB/s, 1 MiB 650 MB/s,
  // all far above clamd's own ~30 MB/s; 1 MiB costs the client the least CPU.
  chunkSize: 1024 * 1024,
} as const;

const versionCacheMs = 1000;

export class ClamdScanner implements Scanner {
  readonly kind = 'clamd';
  readonly name: string;
  private readonly target: NetConnectOpts;
  private readonly version = recentAnswer(versionCacheMs, () => this.askVersion());
  #inPlaceFallbacks = 0;

  constructor(private readonly options: ClamdScannerOptions) {
    this.name = options.name;
    this.target = parseClamdAddress(options.address);
  }

  /** Scans meant to be in place that were streamed because clamd could not read the file. */
  get inPlaceFallbacks(): number {
    return this.#inPlaceFallbacks;
  }

  async health(): Promise<void> {
    const reply = await this.command('zPING');
    if (reply.trim() !== 'PONG') throw new ScannerError(this.name, `PING answered ${JSON.stringify(reply)}`, { retryable: true });
  }

  /**
   * The engine and database version, asked of clamd at most once per `versionCacheMs`: a
   * scan job and the scan itself both need it, and two round trips per small layer were a
   * fifth of its cost. A cached version is never newer than the database that scans, so a
   * reload in between files the verdict under the older version (rescanned later), as before.
   */
  engine(): Promise<EngineVersion> {
    return this.version();
  }

  private async askVersion(): Promise<EngineVersion> {
    const reply = await this.command('zVERSION');
    try {
      return parseVersionReply(reply);
    } catch (err) {
      throw new ScannerError(this.name, (err as Error).message, { retryable: true });
    }
  }

  async scan(subject: ScanSubject, signal?: AbortSignal): Promise<ScanResult> {
    const started = performance.now();
    // Read before the scan: if the database is reloaded meanwhile, the verdict is filed
    // under the older version and rescanned later, never the other way round.
    const engine = await this.engine();
    const timeoutMs = this.options.timeoutMs ?? clamdScannerDefaults.timeoutMs;
    const scanSignal = this.combinedSignal(timeoutMs, signal);
    const reply = (await this.scanStoredFile(subject, timeoutMs, scanSignal, signal)) ?? (await this.scanStream(subject, timeoutMs, scanSignal, signal));
    const durationMs = performance.now() - started;
    if (reply.kind === 'clean') return { verdict: 'clean', findings: [], engine, durationMs };
    // `AlertExceedsMax yes` turns "too big to scan fully" into this heuristic. It says nothing
    // about malware, only that clamd stopped looking: an error (content ends `failed`, never
    // clean), not an infection.
    if (reply.signature.startsWith('Heuristics.Limits.Exceeded')) {
      throw new ScannerError(this.name, `not scanned to the end: ${reply.signature} (raise clamd's MaxFileSize/MaxScanSize/MaxFiles)`, { retryable: false });
    }
    return { verdict: 'infected', findings: [{ signature: reply.signature }], engine, durationMs };
  }

  /** INSTREAM of the subject's bytes; the reply, clean or infected, or throws. */
  private async scanStream(subject: ScanSubject, timeoutMs: number, scanSignal: AbortSignal, callerSignal?: AbortSignal): Promise<Exclude<ScanReply, { kind: 'error' }>> {
    const outcome = await this.instream(subject, scanSignal, callerSignal);
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (scanSignal.aborted) throw this.timedOut(timeoutMs);
    return this.judge(outcome);
  }

  /**
   * SCAN of the stored file, when `scanInPlace` allows it and clamd can read the file as it
   * is; undefined when the bytes must be streamed instead. On a 2-core machine, the three
   * layers of a cold pull scanned from the store took the ~0.4 s that each INSTREAM spent
   * feeding clamd (with both cores half idle) off every round of scans.
   */
  private async scanStoredFile(subject: ScanSubject, timeoutMs: number, scanSignal: AbortSignal, callerSignal?: AbortSignal): Promise<Exclude<ScanReply, { kind: 'error' }> | undefined> {
    const path = subject.storedPath;
    // A command is one NUL-terminated line: a path that could end it early is never sent.
    if (!this.options.scanInPlace || !path || !path.startsWith('/') || /[\n\0]/.test(path)) return undefined;
    if (await isZstdFile(path)) return undefined;
    let text: string;
    try {
      text = await sendCommand(this.target, `zSCAN ${path}`, scanSignal);
    } catch (err) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (scanSignal.aborted) throw this.timedOut(timeoutMs);
      throw new ScannerError(this.name, `cannot scan: ${errorText(err)}`, { retryable: true, cause: err });
    }
    const reply = parseScanReply(text, path);
    if (reply.kind !== 'error') return reply;
    // Not readable by clamd (its user, a file moved to quarantine meanwhile...): INSTREAM of
    // the same bytes decides, and says what went wrong if that fails too.
    this.#inPlaceFallbacks++;
    return undefined;
  }

  private timedOut(timeoutMs: number): ScannerError {
    return new ScannerError(this.name, `scan timed out after ${timeoutMs} ms`, { retryable: true });
  }

  private async instream(subject: ScanSubject, scanSignal: AbortSignal, callerSignal?: AbortSignal): Promise<InstreamOutcome> {
    try {
      const raw = addAbortSignal(scanSignal, await subject.open());
      const bytes = await decompressForScan(raw, { signal: scanSignal, zstdCommand: this.options.zstdCommand });
      const chunkSize = this.options.chunkSize ?? clamdScannerDefaults.chunkSize;
      return await sendInstream(this.target, bytes, { chunkSize, signal: scanSignal });
    } catch (err) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (scanSignal.aborted) return { text: '', complete: false, writeError: err, repliedEarly: false, bytesSent: 0 };
      if (err instanceof DecompressError) throw new ScannerError(this.name, err.message, { retryable: false, cause: err });
      throw new ScannerError(this.name, `cannot scan: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  }

  /** Turns what came back into a reply, or throws: only a whole, understood reply counts. */
  private judge(outcome: InstreamOutcome) {
    if (outcome.writeError instanceof DecompressError) {
      // Bytes that cannot be decoded now never will be: fail the scan for good.
      throw new ScannerError(this.name, outcome.writeError.message, { retryable: false, cause: outcome.writeError });
    }
    if (!outcome.complete) {
      const why = outcome.writeError ?? outcome.error;
      const message = `no verdict: the stream stopped after ${outcome.bytesSent} bytes: ${errorText(why)}`;
      throw new ScannerError(this.name, message, { retryable: true, cause: why });
    }
    const reply = parseScanReply(outcome.text);
    if (reply.kind === 'error') {
      // A stream over StreamMaxLength fails the same way every time: do not retry it.
      throw new ScannerError(this.name, reply.message, { retryable: !isSizeLimitReply(reply.message) });
    }
    if (outcome.writeError || outcome.repliedEarly) {
      throw new ScannerError(this.name, `clamd answered before the stream was sent whole: ${outcome.text}`, {
        retryable: true,
        cause: outcome.writeError,
      });
    }
    return reply;
  }

  private async command(command: string): Promise<string> {
    const timeoutMs = this.options.commandTimeoutMs ?? clamdScannerDefaults.commandTimeoutMs;
    try {
      return await sendCommand(this.target, command, AbortSignal.timeout(timeoutMs));
    } catch (err) {
      throw new ScannerError(this.name, `${command}: ${errorText(err)}`, { retryable: true, cause: err });
    }
  }

  private combinedSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }
}

/** A zstd frame's magic number first: clamd cannot read it, so it is streamed, decoded. */
async function isZstdFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false; // SCAN will say what is wrong, and INSTREAM after it
  try {
    const head = Buffer.alloc(zstdMagic.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(zstdMagic);
  } finally {
    await handle.close();
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return 'code' in err && err.code ? `${err.code} ${err.message}` : err.message;
  return String(err ?? 'no reason given');
}
