// Assembles the scan gate from config: scanners, admission, the gate, the decider, the
// in-process workers that run scan jobs, and the rescan scheduler. With scanning off
// (`--no-scan`) it hands back an open gate, and says so loudly.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { noEvents, type Events } from '../ports/event-sink.js';
import { WorkerPool } from '../jobs/worker-pool.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { Scanner } from '../ports/scanner.js';
import { createScanners } from '../scanners/factory.js';
import { Admission } from './admission.js';
import { QuarantineAdmin } from './admin-actions.js';
import { Decider } from './decider.js';
import { Decisions } from './decisions.js';
import { QuarantineGate } from './gate.js';
import { openGatekeeper, QuarantineGatekeeper, type Gatekeeper } from './gatekeeper.js';
import { RescanScheduler } from './rescan-scheduler.js';
import { scanJobHandler, scanJobKind, type ScanObserver } from './scan-job.js';
import { ScannerSet } from './scanner-set.js';

export interface ScanGateDeps {
  config: Config;
  dataDir: string;
  blobs: BlobStore;
  metadata: MetadataStore;
  store: QuarantineStore;
  queue: JobQueue;
  logger: Logger;
  observeScan?: ScanObserver;
  /** Where scan, release and quarantine events go (default: nowhere). */
  events?: Events;
}

export interface ScanGate {
  enabled: boolean;
  gatekeeper: Gatekeeper;
  admin?: QuarantineAdmin;
  scanners: ScannerSet;
  /** Runs scan jobs and rescans in this process (serve by default; `scangate worker`). */
  startWorkers(): void;
  /** One rescan round now (normally on a timer); resolves to how many scans it queued. */
  rescanNow(): Promise<number>;
  stop(): Promise<void>;
}

// Short, so the scans of a process killed mid-scan run again within half a minute of a
// restart (not five); the pool's heartbeats (every third of it) keep long scans leased.
/** Finished jobs stay listed in /admin/jobs for a week, then go (the table would only grow). */
const keepFinishedJobsMs = 7 * 24 * 60 * 60_000;
const pruneEveryMs = 60 * 60_000;

async function pruneFinishedJobs(queue: JobQueue, logger: Logger): Promise<void> {
  try {
    const pruned = await queue.prune({ finishedBefore: new Date(Date.now() - keepFinishedJobsMs) });
    if (pruned > 0) logger.info({ pruned }, 'pruned finished jobs older than a week');
  } catch (err) {
    logger.warn({ err }, 'could not prune finished jobs');
  }
}

const leaseMs = 30_000;

export async function createScanGate(deps: ScanGateDeps): Promise<ScanGate> {
  const { config, logger } = deps;
  const scanning = config.scanning;
  if (!scanning.enabled) {
    logger.warn('SCANNING IS OFF (--no-scan / scanning.enabled: false): content is stored and served WITHOUT any scan');
    return {
      enabled: false,
      gatekeeper: openGatekeeper,
      scanners: new ScannerSet([]),
      startWorkers: () => {},
      rescanNow: async () => 0,
      stop: async () => {},
    };
  }
  const runtime = await createScanners(scanning, deps.dataDir, logger);
  return assembleScanGate(deps, runtime.scanners, () => runtime.close());
}

/** The gate around already-built scanners (tests hand in their own). */
export function assembleScanGate(deps: ScanGateDeps, built: Scanner[], closeScanners: () => Promise<void> = async () => {}): ScanGate {
  const { config, logger } = deps;
  const scanning = config.scanning;
  const scanners = new ScannerSet(built, scanning.require);
  const decisions = new Decisions(deps.store);
  const events = deps.events ?? noEvents;
  const decider = new Decider({ store: deps.store, blobs: deps.blobs, scanners, decisions, onInfected: scanning.onInfected, logger, events });
  const admission = new Admission({ store: deps.store, queue: deps.queue, scanners, maxAttempts: scanning.retry.maxAttempts, decider });
  const gate = new QuarantineGate(deps.store, deps.metadata);
  const gatekeeper = new QuarantineGatekeeper(gate, admission, decisions, scanning.manifestWaitSeconds * 1000);
  const admin = new QuarantineAdmin({ store: deps.store, blobs: deps.blobs, admission, scanners, decisions, events });
  const handler = scanJobHandler({ store: deps.store, blobs: deps.blobs, scanners, decider, logger, events, ...(deps.observeScan ? { observe: deps.observeScan } : {}) });
  const pool = new WorkerPool({
    queue: deps.queue,
    owner: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    handlers: { [scanJobKind]: handler },
    concurrency: scanning.concurrency,
    leaseMs,
    pollMs: 500,
    logger,
  });
  // Exposed for tests and the worker command: run one rescan round now.
  const rescanNow = () => rescans.tick();
  const rescans = new RescanScheduler({
    store: deps.store,
    scanners,
    admission,
    intervalMs: scanning.rescan.intervalSeconds * 1000,
    batch: scanning.rescan.batch,
    logger,
  });
  logger.info({ scanners: scanners.all.map((s) => `${s.name} (${s.kind})`), require: scanning.require }, 'scan gate on');
  let workersStarted = false;
  let housekeeping: NodeJS.Timeout | undefined;
  return {
    enabled: true,
    gatekeeper,
    admin,
    scanners,
    rescanNow,
    startWorkers() {
      if (workersStarted) return;
      workersStarted = true;
      pool.start();
      rescans.start();
      housekeeping = setInterval(() => void pruneFinishedJobs(deps.queue, logger), pruneEveryMs).unref();
    },
    async stop() {
      clearInterval(housekeeping);
      await rescans.stop();
      if (workersStarted) await pool.stop({ deadlineMs: 10_000 });
      await closeScanners();
    },
  };
}
