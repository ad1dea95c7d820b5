// Scans content while it arrives, for the pull-through cache: the download is teed into the
// store and into each scanner the repository requires, so a first pull waits about the
// longer of fetch and scan instead of their sum. The verdicts are recorded (in the verdict
// cache, by digest and engine) only once the stored bytes proved to have the digest; the
// scan job that admission then queues finds them and decides without scanning again. A file
// fetched without a manifest has no digest until it has arrived: every required scanner scans
// it, and its verdicts are recorded under the digest its bytes were found to have.
//
// With every slot taken, a download is stored (once the downloads feeding a scanner have
// arrived: their bytes go first), and its stored bytes are scanned once a slot frees, before
// settle() returns. Pausing it until a slot freed instead (as this once did) held an
// upstream connection idle for as long as the scans ahead of it took; reading the bytes back
// from the store costs no more (bench:remote measured the same cold pull either way).
//
// Nothing is decided here: this only fills the verdict cache early. A scanner that fails
// or stops early (too big, engine down) records nothing, and the scan job scans the stored
// bytes as it would have anyway. A stream being downloaded can be read once, so a scanner
// that asks for it again gets an error, which is the same "nothing recorded" case.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Digest } from '../domain/digest.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import { verdictFields, type ScanResult, type Scanner } from '../ports/scanner.js';
import { teeStream } from '../streams/tee.js';
import type { ScannerSet } from './scanner-set.js';

export interface ArrivalScansDeps {
  scanners: ScannerSet;
  store: Pick<QuarantineStore, 'recordVerdict' | 'findVerdict'>;
  logger: Logger;
  /**
   * Downloads scanned at once (scanning.concurrency), so the engines' load stays bounded;
   * beyond it a download is stored first, and its stored bytes wait for a slot up to
   * `slotWaitMs` (default 60 s), after which they are left to the scan job.
   */
  limit: number;
  slotWaitMs?: number;
  /**
   * How long a download without a slot waits for the downloads that feed a scanner to have
   * arrived before it starts (default 5 s): see `yieldToFeeders`.
   */
  feederWaitMs?: number;
}

export interface ArrivalScan {
  /** What to store: the download itself, or its branch of the tee. */
  toStore: Readable;
  /**
   * Waits for the scans; records their verdicts when `verified` (the bytes hashed to the
   * digest), under `digest` when the download began without one (what the bytes hashed to).
   * `stored` is the stored copy: a download that found no free slot is scanned from it
   * now; without it, such a download is left to the scan job.
   */
  settle(verified: boolean, digest?: Digest, stored?: StoredCopy): Promise<void>;
}

/** A committed blob, read back for a scan: its bytes, and its file when the store keeps one. */
export interface StoredCopy {
  open(): Promise<Readable>;
  path?: string;
}

export function storedCopy(blobs: Pick<BlobStore, 'read' | 'storedPath'>, digest: Digest): StoredCopy {
  return { open: () => blobs.read(digest), ...(blobs.storedPath ? { path: blobs.storedPath(digest) } : {}) };
}

export class ArrivalScans {
  constructor(private readonly deps: ArrivalScansDeps) {}

  #active = 0;
  readonly #waiting: (() => void)[] = [];
  /** Downloads whose bytes are still arriving into a scanner. */
  readonly #feeding = new Set<Promise<unknown>>();

  /** `digest`: what the bytes must hash to, or undefined when only their arrival will tell. */
  async begin(repository: string, digest: Digest | undefined, body: Readable, signal: AbortSignal, filename?: string): Promise<ArrivalScan> {
    if (!this.takeSlotNow()) return this.afterArrival(repository, digest, body, signal, filename);
    const release = this.releaseOnce();
    // Counted as feeding from the moment it holds a slot: the downloads right behind it must
    // see it while it still looks up its scanners.
    const stopFeeding = this.feeding(body);
    let scanners: Scanner[];
    try {
      scanners = await this.scannersWithoutVerdict(repository, digest);
    } catch (err) {
      stopFeeding();
      release();
      throw err;
    }
    if (scanners.length === 0) {
      stopFeeding();
      release();
      return { toStore: body, settle: async () => {} };
    }
    const [toStore, ...branches] = teeStream(body, 1 + scanners.length);
    const scans = scanners.map((scanner, i) => this.scanBranch(scanner, branches[i]!, digest, signal, filename));
    void Promise.all(scans).finally(release);
    return {
      toStore: toStore!,
      settle: async (verified, proven) => {
        const results = await Promise.all(scans);
        const scanned = digest ?? proven;
        if (verified && scanned !== undefined) await this.record(scanned, scanners, results);
      },
    };
  }

  /** Every slot taken: the download goes to the store at full speed; its stored bytes are scanned at settle, once a slot frees. */
  private async afterArrival(repository: string, digest: Digest | undefined, body: Readable, signal: AbortSignal, filename?: string): Promise<ArrivalScan> {
    await this.yieldToFeeders(signal);
    return {
      toStore: body,
      settle: async (verified, proven, stored) => {
        const scanned = digest ?? proven;
        if (!verified || !stored || scanned === undefined) return;
        if (!(await this.takeSlot(this.deps.slotWaitMs ?? 60_000))) return;
        const release = this.releaseOnce();
        try {
          const scanners = await this.scannersWithoutVerdict(repository, scanned);
          const subject = { open: () => stored.open(), digest: scanned, ...(stored.path ? { storedPath: stored.path } : {}), ...(filename ? { filename } : {}) };
          const results = await Promise.all(
            scanners.map((scanner) =>
              scanner.scan(subject, signal).catch((err: unknown) => {
                this.deps.logger.info({ digest: scanned, scanner: scanner.name, err }, 'scan of the stored download did not finish; the scan job will scan it');
                return undefined;
              }),
            ),
          );
          await this.record(scanned, scanners, results);
        } finally {
          release();
        }
      },
    };
  }

  /** Counts `body` as feeding a scanner until it has arrived (or failed), or until the returned function is called. */
  private feeding(body: Readable): () => void {
    const stop = new AbortController();
    const done = Promise.race([finished(body).catch(() => {}), new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()))]);
    this.#feeding.add(done);
    void done.then(() => this.#feeding.delete(done));
    return () => stop.abort();
  }

  /**
   * Bytes a scanner is waiting for go first. A scan cannot end before the last byte of its
   * download has arrived, so while the downloads that hold a slot are still arriving, the
   * others (which will only be stored now, and scanned later) wait for them, up to
   * `feederWaitMs`. When all of them share one CPU and one link, running them side by side
   * delays every scan's start; see bench/README.md ("Where the cold pull's time goes").
   */
  private async yieldToFeeders(signal: AbortSignal): Promise<void> {
    if (this.#feeding.size === 0) return;
    const done = new AbortController();
    // Ends at feederWaitMs, on the caller's abort, or (cleared) once the feeders are in.
    const waited = sleep(this.deps.feederWaitMs ?? 5_000, undefined, { signal: AbortSignal.any([signal, done.signal]) }).catch(() => {});
    await Promise.race([Promise.all(this.#feeding), waited]);
    done.abort();
  }

  private async record(digest: Digest, scanners: readonly Scanner[], results: readonly (ScanResult | undefined)[]): Promise<void> {
    for (const [i, result] of results.entries()) {
      if (!result) continue;
      await this.deps.store.recordVerdict({ digest, ...verdictFields(scanners[i]!.name, result) });
    }
  }

  private takeSlotNow(): boolean {
    if (this.#active >= this.deps.limit) return false;
    this.#active++;
    return true;
  }

  /** Gives the slot back (to the next waiter, if any); safe to call more than once. */
  private releaseOnce(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    };
  }

  /** Resolves true once a slot is this caller's (a released slot passes straight to the next waiter), false after `waitMs`. */
  private takeSlot(waitMs: number): Promise<boolean> {
    if (this.takeSlotNow()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      }, waitMs);
      this.#waiting.push(grant);
    });
  }

  /** The required scanners that have no cached verdict for the digest from their current engine (a re-fetch of a streamed blob is not scanned again). */
  private async scannersWithoutVerdict(repository: string, digest: Digest | undefined): Promise<Scanner[]> {
    const required = this.deps.scanners
      .requiredFor(repository)
      .map((name) => this.deps.scanners.get(name))
      .filter((s): s is Scanner => s !== undefined);
    const needed = await Promise.all(
      required.map(async (scanner) => {
        const engine = await scanner.engine().catch(() => undefined);
        // An engine that does not answer now cannot scan now either: the scan job will retry.
        if (!engine) return false;
        return digest === undefined || !(await this.deps.store.findVerdict(digest, scanner.name, engine.key));
      }),
    );
    return required.filter((_, i) => needed[i]);
  }

  private async scanBranch(scanner: Scanner, branch: Readable, digest: Digest | undefined, signal: AbortSignal, filename?: string): Promise<ScanResult | undefined> {
    let opened = false;
    try {
      const result = await scanner.scan(
        {
          open: async () => {
            if (opened) throw new Error('a download being scanned as it arrives can be read only once');
            opened = true;
            return branch;
          },
          ...(digest ? { digest } : {}),
          ...(filename ? { filename } : {}),
        },
        signal,
      );
      // A verdict counts only for bytes the scanner read to the end.
      if (branch.readableEnded) return result;
      this.deps.logger.warn({ digest, scanner: scanner.name }, 'scanner answered before reading every byte of the download; its verdict is not used');
      return undefined;
    } catch (err) {
      this.deps.logger.info({ digest, scanner: scanner.name, err }, 'scan while arriving did not finish; the scan job will scan the stored bytes');
      return undefined;
    } finally {
      // Done or given up: either way this branch must not hold the download back.
      if (!branch.readableEnded) branch.destroy();
    }
  }
}
