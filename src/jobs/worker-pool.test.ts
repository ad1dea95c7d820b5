// The worker pool over the real SQL queue (SQLite in a temp directory).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../metadata/database.js';
import { migrateToLatest } from '../metadata/migrations/index.js';
import type { MetadataTables } from '../metadata/schema.js';
import { createLogger } from '../observability/logger.js';
import type { ClaimedJob, JobQueue } from '../ports/job-queue.js';
import { SqlJobQueue } from './sql-job-queue.js';
import { TestClock } from './testing/test-clock.js';
import { LeaseLostError, WorkerPool, WorkerStoppedError, type JobHandler, type JobRunReport, type WorkerPoolOptions } from './worker-pool.js';

const logger = createLogger({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

describe('WorkerPool', () => {
  let dir: string;
  let db: Kysely<MetadataTables>;
  let clock: TestClock;
  let queue: SqlJobQueue;
  let reports: JobRunReport[];
  let pools: WorkerPool[];

  const pool = (handlers: Record<string, JobHandler>, overrides: Partial<WorkerPoolOptions> = {}): WorkerPool => {
    const created = new WorkerPool({
      queue,
      owner: `pool-${pools.length}`,
      handlers,
      concurrency: 2,
      leaseMs: 10_000,
      pollMs: 60_000,
      logger,
      onJobFinished: (report) => reports.push(report),
      ...overrides,
    });
    pools.push(created);
    created.start();
    return created;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scangate-worker-pool-'));
    db = openDatabase({ driver: 'sqlite' }, dir);
    await migrateToLatest(db, 'sqlite');
    clock = new TestClock(Date.now());
    queue = new SqlJobQueue(db, { clock: clock.now, backoff: { baseMs: 60_000, capMs: 60_000 } });
    reports = [];
    pools = [];
  });

  afterEach(async () => {
    await Promise.all(pools.map((p) => p.stop({ deadlineMs: 100, abortGraceMs: 100 })));
    await db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs handlers with the configured concurrency and completes every job', async () => {
    let active = 0;
    let mostActive = 0;
    const seen: unknown[] = [];
    for (let i = 0; i < 12; i++) await queue.enqueue({ kind: 'scan', payload: i });
    pool(
      {
        scan: async (job) => {
          mostActive = Math.max(mostActive, ++active);
          await sleep(20);
          seen.push(job.payload);
          active--;
        },
      },
      { concurrency: 3 },
    );
    await eventually(async () => (await queue.stats()).done === 12, 'all jobs are done');
    expect(mostActive).toBe(3);
    expect(seen.sort((a, b) => Number(a) - Number(b))).toEqual([...Array(12).keys()]);
    expect(reports).toHaveLength(12);
    expect(reports.every((report) => report.kind === 'scan' && report.outcome === 'completed' && report.attempt === 1)).toBe(true);
  });

  it('wakes up when a job is enqueued instead of waiting for the poll', async () => {
    const ran: string[] = [];
    pool({ scan: async (job) => void ran.push(job.id) }, { pollMs: 60_000 });
    await sleep(50);
    const { id } = await queue.enqueue({ kind: 'scan', payload: null });
    await eventually(() => ran.includes(id), 'the job ran', 2_000);
    await queue.enqueue({ kind: 'other', payload: null });
    await sleep(50);
    expect(ran).toEqual([id]);
  });

  it('fails a job whose handler throws: retryable by default, dead when the error says so', async () => {
    const retried = await queue.enqueue({ kind: 'flaky', payload: null });
    const hopeless = await queue.enqueue({ kind: 'broken', payload: null });
    pool({
      flaky: async () => {
        throw new Error('scanner unreachable');
      },
      broken: async () => {
        throw Object.assign(new Error('payload names no digest'), { retryable: false });
      },
    });
    await eventually(() => reports.length === 2, 'both jobs ran');
    expect(await queue.get(retried.id)).toMatchObject({ state: 'queued', attempts: 1, lastError: 'scanner unreachable' });
    expect(await queue.get(hopeless.id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'payload names no digest' });
    expect(reports.map((report) => `${report.kind}:${report.outcome}`).sort()).toEqual(['broken:dead', 'flaky:retrying']);
  });

  it('heartbeats the lease of a long job so nobody else takes it', async () => {
    const { id } = await queue.enqueue({ kind: 'scan', payload: null });
    let finish!: () => void;
    pool({ scan: () => new Promise<void>((resolve) => (finish = resolve)) }, { leaseMs: 1_000, heartbeatMs: 10 });
    await eventually(async () => (await queue.get(id))?.state === 'running', 'the job is claimed');
    for (let i = 0; i < 5; i++) {
      clock.advance(600);
      const renewed = clock.now().getTime() + 1_000;
      await eventually(async () => (await queue.get(id))!.leaseUntil!.getTime() >= renewed, 'a heartbeat renewed the lease');
      expect(await queue.claim({ kinds: ['scan'], owner: 'intruder', leaseMs: 1_000, limit: 1 })).toEqual([]);
    }
    finish();
    await eventually(async () => (await queue.get(id))?.state === 'done', 'the job is done');
    expect(reports).toMatchObject([{ outcome: 'completed', attempt: 1 }]);
  });

  it('aborts a handler whose lease was taken over, and records nothing for it', async () => {
    const { id } = await queue.enqueue({ kind: 'scan', payload: null });
    let reason: unknown;
    pool({ scan: (_job, signal) => untilAborted(signal).then((why) => Promise.reject((reason = why))) }, { leaseMs: 1_000, heartbeatMs: 20 });
    await eventually(async () => (await queue.get(id))?.state === 'running', 'the job is claimed');
    clock.advance(60_000);
    const [taken] = await queue.claim({ kinds: ['scan'], owner: 'intruder', leaseMs: 60_000, limit: 1 });
    expect(taken?.attempt).toBe(2);
    await eventually(() => reports.length === 1, 'the handler gave up');
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reports[0]!.outcome).toBe('lost');
    expect(await queue.get(id)).toMatchObject({ state: 'running', leaseOwner: 'intruder', attempts: 2 });
  });

  it('re-runs in another pool a job whose pool stopped mid-way, once its lease lapsed', async () => {
    const { id } = await queue.enqueue({ kind: 'scan', payload: null });
    let reason: unknown;
    const first = pool({ scan: (_job, signal) => untilAborted(signal).then((why) => Promise.reject((reason = why))) }, { leaseMs: 5_000 });
    await eventually(async () => (await queue.get(id))?.state === 'running', 'the job is claimed');
    await first.stop({ deadlineMs: 50 });
    expect(reason).toBeInstanceOf(WorkerStoppedError);
    expect(reports).toMatchObject([{ outcome: 'abandoned', attempt: 1 }]);
    expect(await queue.get(id)).toMatchObject({ state: 'running', leaseOwner: 'pool-0', attempts: 1 });

    const reruns: ClaimedJob[] = [];
    pool({ scan: async (job) => void reruns.push(job) }, { pollMs: 20 });
    await sleep(100);
    expect(reruns).toEqual([]);
    clock.advance(5_000);
    await eventually(async () => (await queue.get(id))?.state === 'done', 'the second pool ran the job');
    expect(reruns).toMatchObject([{ id, owner: 'pool-1', attempt: 2 }]);
  });

  it('drains on stop: running handlers finish and nothing new is claimed', async () => {
    for (let i = 0; i < 2; i++) await queue.enqueue({ kind: 'scan', payload: i });
    let started = 0;
    const stopping = pool(
      {
        scan: async () => {
          started++;
          await sleep(150);
        },
      },
      { concurrency: 2 },
    );
    await eventually(() => started === 2, 'both handlers started');
    const stopped = stopping.stop({ deadlineMs: 5_000 });
    const late = await queue.enqueue({ kind: 'scan', payload: 'late' });
    await stopped;
    expect(stopping.active).toBe(0);
    expect(reports.map((report) => report.outcome)).toEqual(['completed', 'completed']);
    expect(started).toBe(2);
    expect(await queue.get(late.id)).toMatchObject({ state: 'queued' });
  });

  it('keeps polling after a claim fails', async () => {
    let claims = 0;
    const failsOnce: JobQueue['claim'] = async (options) => {
      if (++claims === 1) throw new Error('database is restarting');
      return queue.claim(options);
    };
    const failing = new Proxy(queue, {
      get: (target, property) => {
        if (property === 'claim') return failsOnce;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { id } = await queue.enqueue({ kind: 'scan', payload: null });
    pool({ scan: async () => {} }, { queue: failing, pollMs: 20 });
    await eventually(async () => (await queue.get(id))?.state === 'done', 'the job ran after the failed claim');
    expect(claims).toBeGreaterThan(1);
  });
});

function untilAborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
