// Runs queued jobs in this process: claims up to `concurrency` jobs of the kinds it has
// handlers for, heartbeats their leases while the handlers run, and completes or fails
// them. It claims again as soon as a slot frees or a job is enqueued here (onEnqueued), and
// otherwise every `pollMs` (jobs enqueued by other processes, backoffs and run-ats coming due).
//
// stop() stops claiming, lets running handlers finish until a deadline, then aborts them
// through their signal and leaves their jobs alone: the leases lapse and another process
// (or this one, restarted) runs them again. Handlers must therefore be idempotent.
import type { ClaimedJob, FailOutcome, JobQueue } from '../ports/job-queue.js';

export type JobHandler = (job: ClaimedJob, signal: AbortSignal) => Promise<void>;

/**
 * How a run ended: `completed`; `postponed` (it could not run now; no attempt spent);
 * `retrying` or `dead` (the handler threw); `lost` (the lease
 * was taken over, so the result was not recorded); `abandoned` (aborted by stop(), or the
 * queue could not record the result: the lease lapses and the job runs again).
 */
export type JobRunOutcome = 'completed' | 'postponed' | FailOutcome | 'abandoned';

export interface JobRunReport {
  kind: string;
  outcome: JobRunOutcome;
  attempt: number;
  durationMs: number;
}

/** The slice of a pino logger the pool uses. */
export interface WorkerLogger {
  debug(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface WorkerPoolOptions {
  queue: JobQueue;
  /** Unique per process: it names the leases (e.g. `host:pid:random`). */
  owner: string;
  handlers: Record<string, JobHandler>;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  logger: WorkerLogger;
  /** How often a running job's lease is extended (default: a third of leaseMs). */
  heartbeatMs?: number;
  /** Called once per run, for per-kind duration and outcome metrics. */
  onJobFinished?: (report: JobRunReport) => void;
}

export interface StopOptions {
  /** How long running handlers may take to finish before they are aborted (default 30 s). */
  deadlineMs?: number;
  /** How long aborted handlers may take to return before stop() gives up on them (default 5 s). */
  abortGraceMs?: number;
}

/** The reason a handler's signal carries when its lease was taken over. */
export class LeaseLostError extends Error {
  constructor(job: ClaimedJob) {
    super(`the lease of job ${job.id} (attempt ${job.attempt}) was lost`);
    this.name = 'LeaseLostError';
  }
}

/** The reason a handler's signal carries when the pool stops before it finished. */
export class WorkerStoppedError extends Error {
  constructor() {
    super('the worker pool is stopping');
    this.name = 'WorkerStoppedError';
  }
}

interface RunningJob {
  readonly controller: AbortController;
  task: Promise<void>;
  /** Set before the signal is aborted, so the handler's rejection is not taken for a failure. */
  leaseLost: boolean;
  abandoned: boolean;
}

export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #kinds: string[];
  readonly #heartbeatMs: number;
  readonly #running = new Map<string, RunningJob>();
  #loop: Promise<void> | undefined;
  #stopping = false;
  #unsubscribe: (() => void) | undefined;
  #wakePending = false;
  #wakeWaiter: (() => void) | undefined;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    this.#options = options;
    this.#kinds = Object.keys(options.handlers);
    this.#heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(options.leaseMs / 3));
  }

  /** Jobs whose handlers are running now. */
  get active(): number {
    return this.#running.size;
  }

  start(): void {
    if (this.#loop || this.#stopping) throw new Error('a worker pool starts once');
    this.#unsubscribe = this.#options.queue.onEnqueued((kind) => {
      if (this.#kinds.includes(kind)) this.#wake();
    });
    this.#loop = this.#claimLoop();
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#unsubscribe?.();
    this.#wake();
    // A claim in flight finishes first; the jobs it brings run as part of the drain.
    await this.#loop;
    if (await this.#settledWithin(options.deadlineMs ?? 30_000)) return;
    for (const [id, running] of this.#running) {
      this.#options.logger.warn({ job: id }, 'aborting a job at stop; its lease will lapse and it runs again');
      running.abandoned = true;
      running.controller.abort(new WorkerStoppedError());
    }
    if (!(await this.#settledWithin(options.abortGraceMs ?? 5_000))) {
      this.#options.logger.error({ jobs: [...this.#running.keys()] }, 'job handlers ignored their abort signal; stopping without them');
    }
  }

  async #claimLoop(): Promise<void> {
    const { queue, owner, leaseMs, concurrency, pollMs, logger } = this.#options;
    while (!this.#stopping) {
      const free = concurrency - this.#running.size;
      if (free > 0) {
        try {
          const jobs = await queue.claim({ kinds: this.#kinds, owner, leaseMs, limit: free });
          for (const job of jobs) this.#start(job);
          // A full batch: there may be more, claim again (or wait for a slot) at once.
          if (jobs.length === free) continue;
        } catch (error) {
          logger.error({ err: error }, 'claiming jobs failed; trying again after the poll interval');
        }
      }
      await this.#sleepUntilWoken(pollMs);
    }
  }

  #start(job: ClaimedJob): void {
    const running: RunningJob = { controller: new AbortController(), task: Promise.resolve(), leaseLost: false, abandoned: false };
    this.#running.set(job.id, running);
    const heartbeat = this.#keepLease(job, running);
    running.task = this.#execute(job, running).finally(() => {
      clearInterval(heartbeat);
      // The same job may run here again already, if this run outlived its lease.
      if (this.#running.get(job.id) === running) this.#running.delete(job.id);
      this.#wake();
    });
  }

  async #execute(job: ClaimedJob, running: RunningJob): Promise<void> {
    const { queue, handlers, logger } = this.#options;
    const started = performance.now();
    let outcome: JobRunOutcome;
    try {
      await handlers[job.kind]!(job, running.controller.signal);
      outcome = (await queue.complete(job)) ? 'completed' : 'lost';
    } catch (error) {
      outcome = await this.#recordFailure(job, running, error);
    }
    if (outcome === 'lost') logger.warn({ job: job.id, kind: job.kind }, 'a job outlived its lease; another worker runs it');
    this.#options.onJobFinished?.({ kind: job.kind, outcome, attempt: job.attempt, durationMs: performance.now() - started });
  }

  async #recordFailure(job: ClaimedJob, running: RunningJob, error: unknown): Promise<JobRunOutcome> {
    if (running.leaseLost) return 'lost';
    if (running.abandoned) return 'abandoned';
    const message = error instanceof Error ? error.message : String(error);
    const retryable = (error as { retryable?: unknown } | null)?.retryable !== false;
    const postponeMs = (error as { postponeMs?: unknown } | null)?.postponeMs;
    if (typeof postponeMs === 'number') return this.#postpone(job, postponeMs, message);
    try {
      const outcome = await this.#options.queue.fail(job, { message, retryable });
      this.#options.logger.warn({ job: job.id, kind: job.kind, attempt: job.attempt, outcome, err: error }, 'job failed');
      return outcome;
    } catch (failError) {
      this.#options.logger.error({ job: job.id, err: failError }, 'could not record a job failure; its lease will lapse');
      return 'abandoned';
    }
  }

  /** A handler that threw with `postponeMs` could not run now; its attempt is not spent. */
  async #postpone(job: ClaimedJob, delayMs: number, message: string): Promise<JobRunOutcome> {
    try {
      if (!(await this.#options.queue.postpone(job, delayMs, message))) return 'lost';
      this.#options.logger.warn({ job: job.id, kind: job.kind, delayMs, reason: message }, 'job postponed');
      return 'postponed';
    } catch (postponeError) {
      this.#options.logger.error({ job: job.id, err: postponeError }, 'could not postpone a job; its lease will lapse');
      return 'abandoned';
    }
  }

  /** Extends the lease every heartbeatMs; aborts the handler when the lease was taken over. */
  #keepLease(job: ClaimedJob, running: RunningJob): NodeJS.Timeout {
    let beating = false;
    const timer = setInterval(() => {
      if (beating) return;
      beating = true;
      this.#options.queue
        .heartbeat(job, this.#options.leaseMs)
        .then((held) => {
          if (held || running.leaseLost) return;
          running.leaseLost = true;
          running.controller.abort(new LeaseLostError(job));
        })
        // The lease may still hold; the next beat tries again.
        .catch((error: unknown) => this.#options.logger.warn({ job: job.id, err: error }, 'heartbeat failed'))
        .finally(() => (beating = false));
    }, this.#heartbeatMs);
    timer.unref();
    return timer;
  }

  async #settledWithin(ms: number): Promise<boolean> {
    if (this.#running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const settled = Promise.allSettled([...this.#running.values()].map((running) => running.task)).then(() => true);
    try {
      return await Promise.race([settled, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #wake(): void {
    this.#wakePending = true;
    this.#wakeWaiter?.();
  }

  /** Returns at once if woken since the last sleep, so a wake during a claim is not lost. */
  async #sleepUntilWoken(ms: number): Promise<void> {
    if (!this.#wakePending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.#wakeWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeWaiter = undefined;
    }
    this.#wakePending = false;
  }
}
