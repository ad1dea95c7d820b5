// Scans one object version with every scanner its bucket requires, streaming it from S3
// (GetObject, refused unless it is still that version) straight into each scanner, never
// held whole. The bucket verdict cache is asked first: the same content (by SHA-256 when the
// object carries that checksum, else by ETag unless the config forbids it) scanned with the
// same engine and signature database is not scanned again. The first infected verdict ends
// the scan: the object is infected whatever the others say.
import { basename } from 'node:path';
import type { BucketScanStore } from '../ports/bucket-scan-store.js';
import { ScannerError, verdictFields, type EngineVersion, type Finding, type Scanner, type Verdict } from '../ports/scanner.js';
import { ObjectChangedError, ObjectGoneError, type BucketObjects, type ObjectHead, type ObjectVersion } from './s3-objects.js';

export interface ScannerOutcome {
  scanner: string;
  /** EngineVersion.key. */
  engine: string;
  verdict: Verdict;
  findings: Finding[];
  /** From the verdict cache, not scanned now. */
  cached: boolean;
}

export interface ObjectVerdict {
  verdict: Verdict;
  scans: ScannerOutcome[];
}

/** No scanner could be asked at all (down): the object waits, no attempt is spent. */
export class ScannersUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`a scanner is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'ScannersUnavailableError';
  }
}

/** The engine of each scanner now, or ScannersUnavailableError. */
export async function currentEngines(scanners: readonly Scanner[]): Promise<Map<string, EngineVersion>> {
  try {
    return new Map(await Promise.all(scanners.map(async (s) => [s.name, await s.engine()] as const)));
  } catch (err) {
    throw new ScannersUnavailableError(err);
  }
}

/** The verdict cache key of the content, if it may be trusted to name it. */
export function contentKeyOf(head: ObjectHead, cacheByEtag: boolean): string | undefined {
  if (head.sha256) return `sha256:${head.sha256}`;
  return cacheByEtag ? `etag:${head.etag}` : undefined;
}

export interface ObjectScanDeps {
  objects: BucketObjects;
  store: BucketScanStore;
  scanners: readonly Scanner[];
  cacheByEtag: boolean;
}

export async function scanObject(
  deps: ObjectScanDeps,
  version: ObjectVersion,
  head: ObjectHead,
  engines: Map<string, EngineVersion>,
  signal?: AbortSignal,
): Promise<ObjectVerdict> {
  const contentKey = contentKeyOf(head, deps.cacheByEtag);
  const scans: ScannerOutcome[] = [];
  for (const scanner of deps.scanners) {
    const engine = engines.get(scanner.name)!.key;
    const cached = contentKey === undefined ? undefined : await deps.store.findVerdict(contentKey, scanner.name, engine);
    const outcome = cached
      ? { scanner: scanner.name, engine, verdict: cached.verdict, findings: cached.findings, cached: true }
      : await scanWith(deps, scanner, version, head, contentKey, signal);
    scans.push(outcome);
    if (outcome.verdict === 'infected') return { verdict: 'infected', scans };
  }
  return { verdict: 'clean', scans };
}

async function scanWith(
  deps: ObjectScanDeps,
  scanner: Scanner,
  version: ObjectVersion,
  head: ObjectHead,
  contentKey: string | undefined,
  signal?: AbortSignal,
): Promise<ScannerOutcome> {
  // A scanner turns a failed open() into a ScannerError; remember why, so that "the object
  // changed or went away" is told apart from "the scanner failed".
  let objectFault: ObjectChangedError | ObjectGoneError | undefined;
  const open = async () => {
    try {
      return await deps.objects.open(version, signal);
    } catch (err) {
      if (err instanceof ObjectChangedError || err instanceof ObjectGoneError) objectFault = err;
      throw err;
    }
  };
  let result;
  try {
    result = await scanner.scan(
      { open, size: head.size, filename: basename(version.key), ...(head.contentType ? { mediaType: head.contentType } : {}) },
      signal,
    );
  } catch (err) {
    if (objectFault) throw objectFault;
    if (signal?.aborted) throw signal.reason;
    throw err instanceof ScannerError ? err : new ScannerError(scanner.name, (err as Error).message, { retryable: true, cause: err });
  }
  if (contentKey !== undefined) {
    await deps.store.recordVerdict({ contentKey, ...verdictFields(scanner.name, result) });
  }
  return { scanner: scanner.name, engine: result.engine.key, verdict: result.verdict, findings: result.findings, cached: false };
}
