// The `remote-sync` job: one sync asked for through the admin API, run by whichever process
// (serve or `scangate worker`) claims it, through the same runRemoteSync as `scangate sync`.
// Its state and progress go to the RemoteSyncStore (progress at most once a second), so any
// process can show them. Idempotent: a run after a crash starts the sync over, and what was
// brought already costs nothing (stored content is not fetched again). A failed attempt is
// retried with backoff; the last one fails the sync. A process that does not know the remote
// (another process's config file has it) leaves the job to one that does.
import type { Logger } from 'pino';
import type { ClaimedJob, JsonValue, NewJob } from '../ports/job-queue.js';
import type { RemoteSyncProblem, RemoteSyncProgress, RemoteSyncRecord, RemoteSyncStore } from '../ports/remote-sync-store.js';
import type { Remotes } from './create.js';
import { runRemoteSync, syncRequestProblem, type SyncRun } from './sync-runner.js';
import type { SyncProgress } from './sync.js';

export const remoteSyncJobKind = 'remote-sync';

/** Attempts of a sync job: a sync is long, and each attempt starts it over. */
export const remoteSyncAttempts = 3;

/** How long a job whose remote this process does not know waits for another process to take it. */
const unknownRemoteRetryMs = 60_000;
/** Progress is written at most this often. */
const progressEveryMs = 1000;
/** Problems kept with a finished sync. */
const maxProblems = 100;

export function remoteSyncJob(syncId: string): NewJob {
  return { kind: remoteSyncJobKind, payload: { syncId }, dedupeKey: `remote-sync:${syncId}`, maxAttempts: remoteSyncAttempts };
}

export interface SyncJobDeps {
  remotes: Remotes;
  store: RemoteSyncStore;
  logger: Logger;
}

export function remoteSyncJobHandler(deps: SyncJobDeps) {
  return async (job: ClaimedJob, signal: AbortSignal): Promise<void> => {
    const sync = await deps.store.getSync(syncIdOf(job.payload));
    if (!sync || sync.finishedAt !== null) return;
    // A remote made through the admin API on another server may be newer than this copy.
    await deps.remotes.catalog.reload();
    const remote = deps.remotes.catalog.entry(sync.remote)?.remote;
    if (!remote) throw Object.assign(new Error(`no remote named ${sync.remote} in this process (give every process that runs jobs the same remotes)`), { postponeMs: unknownRemoteRetryMs });
    const problem = syncRequestProblem(remote, sync.selection);
    if (problem) {
      await deps.store.finishSync(sync.id, { state: 'failed', error: `the remote changed since the sync was asked for: ${problem}` });
      return;
    }
    if (!(await deps.store.markRunning(sync.id))) return;
    const writer = new ProgressWriter(deps, sync.id);
    try {
      const run = await runRemoteSync(deps.remotes, sync.remote, sync.selection, (p) => writer.update(p), signal);
      await writer.stop();
      await deps.store.finishSync(sync.id, { state: 'completed', progress: writer.latest ?? toRecord(undefined), ...summaryOf(run), error: null });
      deps.logger.info({ sync: sync.id, remote: sync.remote, outcomes: summaryOf(run).outcomes }, 'remote sync completed');
    } catch (err) {
      await writer.stop();
      await recordFailure(deps, sync, job, err, signal);
      throw err;
    }
  };
}

/** A failed attempt: the sync is queued again when attempts are left, else failed. Aborted (the process stops): left as it is, to run again. */
async function recordFailure(deps: SyncJobDeps, sync: RemoteSyncRecord, job: ClaimedJob, err: unknown, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const message = err instanceof Error ? err.message : String(err);
  if (job.attempt >= job.maxAttempts) {
    await deps.store.finishSync(sync.id, { state: 'failed', error: message });
    deps.logger.warn({ sync: sync.id, remote: sync.remote, err }, 'remote sync failed');
  } else {
    await deps.store.markRetrying(sync.id, message);
  }
}

function syncIdOf(payload: JsonValue): string {
  const syncId = (payload as { syncId?: unknown } | null)?.syncId;
  if (typeof syncId !== 'string') throw Object.assign(new Error(`malformed remote-sync job payload: ${JSON.stringify(payload)}`), { retryable: false });
  return syncId;
}

/** Counts by outcome, and the items not synced (the first ones) with why. */
function summaryOf(run: SyncRun): { outcomes: Record<string, number>; problems: RemoteSyncProblem[] } {
  const outcomes: Record<string, number> = {};
  for (const result of run.results) outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  const problems = run.results
    .filter((r): r is typeof r & { outcome: 'refused' | 'error' } => r.outcome === 'refused' || r.outcome === 'error')
    .slice(0, maxProblems)
    .map((r) => ({ item: r.item, outcome: r.outcome, message: r.message ?? '' }));
  return { outcomes, problems };
}

function toRecord(progress: SyncProgress | undefined): RemoteSyncProgress {
  if (!progress) return { itemsTotal: 0, itemsDone: 0, itemsFailed: 0, bytesTotal: 0, bytesDone: 0, current: null };
  const { itemsTotal, itemsDone, itemsFailed, bytesTotal, bytesDone } = progress;
  return { itemsTotal, itemsDone, itemsFailed, bytesTotal, bytesDone, current: itemsDone < itemsTotal ? progress.current : null };
}

/** Writes the latest progress at most once a second, never two writes at once; a failed write is logged, not fatal. */
class ProgressWriter {
  latest: RemoteSyncProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: SyncJobDeps,
    private readonly id: string,
  ) {}

  update(progress: SyncProgress): void {
    this.latest = toRecord(progress);
    this.timer ??= setTimeout(() => this.write(), progressEveryMs);
  }

  /** Cancels a write not begun, and waits for one under way. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }

  private write(): void {
    this.timer = undefined;
    const progress = this.latest!;
    this.writing = this.writing
      .then(() => this.deps.store.recordProgress(this.id, progress))
      .catch((err: unknown) => this.deps.logger.warn({ err, sync: this.id }, 'could not record the progress of a remote sync'));
  }
}
