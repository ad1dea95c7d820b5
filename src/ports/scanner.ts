// Scanner: one malware/vulnerability engine that says whether some bytes are clean.
// Adapters: clamd (INSTREAM), command (an argv template run without a shell); harbor later.
// Every adapter runs the shared suite in src/scanners/scanner.suite.ts.
//
// The one rule of this port: a scanner that could not finish a scan THROWS a ScannerError.
// It never returns `clean` for bytes it did not fully scan (too big, timed out, engine down).
import type { Readable } from 'node:stream';

export type ScannerKind = 'clamd' | 'command' | 'harbor';

/** What scanned: the verdict cache keys verdicts on `key`, so a new database means stale verdicts. */
export interface EngineVersion {
  /** e.g. `ClamAV 1.4.6`, or the command's argv[0]. */
  engine: string;
  /** Signature database version, e.g. `27000`; `''` when the engine has none to report. */
  database: string;
  /** `engine/database`: stable for as long as neither changes. */
  key: string;
}

export function engineVersion(engine: string, database: string): EngineVersion {
  return { engine, database, key: database ? `${engine}/${database}` : engine };
}

/** The bytes to scan. `open()` may be called more than once; each call gives a fresh stream. */
export interface ScanSubject {
  open(): Promise<Readable>;
  /**
   * A file on disk holding exactly these bytes, when there is one (saves a copy). Command
   * scanners hand it to the engine as it is, so give it only when its name means something
   * (e.g. keeps its extension); without it they scan a copy named after `filename`/`digest`.
   */
  path?: string;
  /**
   * The stored, content-addressed file holding exactly these bytes (the filesystem blob
   * store), for engines that can read it where it is (clamd's SCAN). Its name is a digest:
   * never handed to engines that need a meaningful name (that is `path`).
   */
  storedPath?: string;
  digest?: string;
  mediaType?: string;
  /** A meaningful name (e.g. an annotation title); scanners that need a file keep it. */
  filename?: string;
  size?: number;
}

export interface Finding {
  /** The engine's name for what it found, e.g. `Eicar-Signature` or `exit 1`. */
  signature: string;
  /** Extra text the engine gave (a command's output, capped). */
  detail?: string;
}

export type Verdict = 'clean' | 'infected';

export interface ScanResult {
  verdict: Verdict;
  /** Empty when clean; at least one entry when infected. */
  findings: Finding[];
  engine: EngineVersion;
  durationMs: number;
}

/** What a verdict store keeps of a scan (the key, digest or content key, is the caller's): one shape for every store. */
export function verdictFields(scanner: string, result: ScanResult) {
  return {
    scanner,
    engine: result.engine.key,
    verdict: result.verdict,
    findings: result.findings,
    durationMs: result.durationMs,
    scannedAt: new Date(),
  };
}

export interface Scanner {
  /** The configured name (unique per registry), e.g. `clamav`. */
  readonly name: string;
  readonly kind: ScannerKind;
  /** Engine and signature-database version now (asks the engine; cheap enough per job). */
  engine(): Promise<EngineVersion>;
  /** Resolves when the engine answers; throws a ScannerError otherwise (for /readyz). */
  health(): Promise<void>;
  /**
   * Scans every byte of the subject. Throws ScannerError when the scan could not be
   * completed; rejects with `signal.reason` when the caller aborts.
   */
  scan(subject: ScanSubject, signal?: AbortSignal): Promise<ScanResult>;
  /** Releases anything the scanner holds (sockets, temp dirs). Optional. */
  close?(): Promise<void>;
}

/** A scan that could not be completed. `retryable` says whether the same scan may succeed later. */
export class ScannerError extends Error {
  readonly scanner: string;
  readonly retryable: boolean;

  constructor(scanner: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(`${scanner}: ${message}`, { cause: options.cause });
    this.name = 'ScannerError';
    this.scanner = scanner;
    this.retryable = options.retryable;
  }
}

export const isScannerError = (err: unknown): err is ScannerError => err instanceof ScannerError;
