// Syncs through the admin API (http/admin/remote-sync-routes.ts is its HTTP face): a sync asked
// for is a row in the RemoteSyncStore and a durable `remote-sync` job (sync-job.ts), so a
// restart loses none and any process with workers runs it; asking again while one of the remote
// is unfinished gets that one. Its state and progress are read from the database, so any
// process shows them. The workers (one pool, two syncs at once) run in `serve` unless
// scanning.workers is false, and in `scangate worker`.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { RegistryError } from '../domain/errors.js';
import { WorkerPool } from '../jobs/worker-pool.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { RemoteSyncRecord, RemoteSyncSelection, RemoteSyncStore } from '../ports/remote-sync-store.js';
import type { Remotes } from './create.js';
import { unknownRemote } from './remote-admin.js';
import { remoteSyncJob, remoteSyncJobHandler, remoteSyncJobKind } from './sync-job.js';
import { syncRequestProblem } from './sync-runner.js';

export interface RemoteSyncsDeps {
  remotes: Remotes;
  store: RemoteSyncStore;
  queue: JobQueue;
  logger: Logger;
  /** Syncs run at once in this process (default 2). */
  concurrency?: number;
}

/** Finished syncs stay listed for 30 days, then go (the table would only grow); checked hourly where the workers run. */
const keepFinishedSyncsMs = 30 * 24 * 60 * 60_000;
const pruneEveryMs = 60 * 60_000;

export class RemoteSyncs {
  private readonly pool: WorkerPool;
  private started = false;
  private pruning: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RemoteSyncsDeps) {
    this.pool = new WorkerPool({
      queue: deps.queue,
      owner: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}:sync`,
      handlers: { [remoteSyncJobKind]: remoteSyncJobHandler(deps) },
      concurrency: deps.concurrency ?? 2,
      // The heartbeat (a third of it) keeps a long sync leased; a process that dies hands it on within a minute.
      leaseMs: 60_000,
      pollMs: 1000,
      logger: deps.logger,
    });
  }

  /**
   * Starts a sync of the remote, or finds the one under way (`created: false`). 404 for no such
   * remote, 400 for a selection that does not apply to it.
   */
  async start(name: string, selection: RemoteSyncSelection, actor: string): Promise<{ sync: RemoteSyncRecord; created: boolean }> {
    await this.deps.remotes.catalog.reload();
    const remote = this.deps.remotes.catalog.entry(name)?.remote;
    if (!remote) throw unknownRemote(name);
    const problem = syncRequestProblem(remote, selection);
    if (problem) throw new RegistryError('UNSUPPORTED', problem, { status: 400, detail: { remote: name } });
    const { sync, created } = await this.deps.store.createSync({ id: randomUUID(), remote: name, selection, requestedBy: actor });
    // For one found under way too: its job may be gone (a crash between the two writes, or dead
    // after its last attempt was cut short); one unfinished job per sync, so this adds none otherwise.
    const job = await this.deps.queue.enqueue(remoteSyncJob(sync.id));
    if (sync.jobId !== job.id) await this.deps.store.setJob(sync.id, job.id);
    if (created) this.deps.logger.info({ sync: sync.id, remote: name, selection, actor }, 'remote sync queued');
    return { sync: { ...sync, jobId: job.id }, created };
  }

  /** One sync of the remote; 404 when there is none of that id for that remote. */
  async get(name: string, id: string): Promise<RemoteSyncRecord> {
    const sync = await this.deps.store.getSync(id);
    if (!sync || sync.remote !== name) {
      throw new RegistryError('UNSUPPORTED', `remote ${name} has no sync ${id}`, { status: 404, detail: { remote: name, sync: id } });
    }
    return this.settled(sync);
  }

  /** The remote's syncs, newest first. */
  async list(name: string, limit: number): Promise<RemoteSyncRecord[]> {
    return Promise.all((await this.deps.store.listSyncs(name, limit)).map((sync) => this.settled(sync)));
  }

  /** Runs sync jobs in this process, and prunes the finished syncs past their 30 days. */
  startWorkers(): void {
    if (this.started) return;
    this.started = true;
    this.pool.start();
    void this.pruneFinished();
    this.pruning = setInterval(() => void this.pruneFinished(), pruneEveryMs);
    this.pruning.unref();
  }

  /** Stops claiming; a sync still running after a few seconds is abandoned to run again elsewhere (or after a restart). */
  async stop(): Promise<void> {
    clearInterval(this.pruning);
    if (this.started) await this.pool.stop({ deadlineMs: 5_000 });
  }

  /** Deletes the syncs that finished more than 30 days ago; a failure is logged and tried again next hour. */
  async pruneFinished(now = Date.now()): Promise<number> {
    try {
      const pruned = await this.deps.store.pruneSyncs(new Date(now - keepFinishedSyncsMs));
      if (pruned > 0) this.deps.logger.info({ pruned }, 'pruned remote syncs finished more than 30 days ago');
      return pruned;
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not prune finished remote syncs');
      return 0;
    }
  }

  /** An unfinished sync whose job is dead (its process died on the last attempt) is failed with the job's error. */
  private async settled(sync: RemoteSyncRecord): Promise<RemoteSyncRecord> {
    if (sync.finishedAt !== null || sync.jobId === null) return sync;
    const job = await this.deps.queue.get(sync.jobId);
    if (job?.state !== 'dead') return sync;
    await this.deps.store.finishSync(sync.id, { state: 'failed', error: job.lastError ?? 'the sync job ran out of attempts' });
    return (await this.deps.store.getSync(sync.id)) ?? sync;
  }
}
