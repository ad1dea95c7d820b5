// Keeps released content current: when a scanner reports a new engine or signature
// database, clean content whose newest verdict is older is queued for rescan, a batch per
// interval (the rate limit). It stays servable meanwhile; a new detection moves it to
// quarantine through the decider like any verdict.
import type { Logger } from 'pino';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { Scanner } from '../ports/scanner.js';
import type { Admission } from './admission.js';
import type { ScannerSet } from './scanner-set.js';

export interface RescanSchedulerOptions {
  store: QuarantineStore;
  scanners: ScannerSet;
  admission: Admission;
  intervalMs: number;
  batch: number;
  logger: Logger;
}

export class RescanScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: RescanSchedulerOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round: queue up to `batch` stale digests per scanner. Returns how many were queued. */
  async tick(): Promise<number> {
    if (this.running) return 0;
    let queued = 0;
    const round = (async () => {
      for (const scanner of this.options.scanners.all) {
        queued += await this.queueStale(scanner);
      }
    })();
    this.running = round.finally(() => (this.running = undefined));
    await this.running;
    return queued;
  }

  private async queueStale(scanner: Scanner): Promise<number> {
    const { store, admission, batch, logger } = this.options;
    const name = scanner.name;
    let key: string;
    try {
      key = (await scanner.engine()).key;
    } catch {
      return 0; // scanner down: nothing to compare with; try next round
    }
    const stale = await store.staleClean(name, key, batch);
    if (stale.length === 0) return 0;
    const states = await store.getStates(stale);
    for (const digest of stale) {
      await admission.enqueue({ digest, kind: states.get(digest)?.kind ?? 'blob', scanner: name });
    }
    logger.info({ scanner: name, engine: key, queued: stale.length }, 'rescanning released content after a signature update');
    return stale.length;
  }
}
