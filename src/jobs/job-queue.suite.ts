// The JobQueue conformance suite: every adapter's test file hands it a factory and runs it
// unchanged. Each test gets an empty, migrated database and a clock that moves when told.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimedJob, JobQueue, JobRecord } from '../ports/job-queue.js';
import type { BackoffOptions } from './backoff.js';
import { TestClock } from './testing/test-clock.js';

export interface JobQueueTestOptions {
  clock: () => Date;
  backoff: BackoffOptions;
  defaultMaxAttempts: number;
}

export interface JobQueueHarness {
  /** A queue over this harness's database. Called once per test. */
  open(options: JobQueueTestOptions): Promise<JobQueue>;
  /** Closes the queue's connections and drops or empties the database. */
  dispose(): Promise<void>;
}

export type JobQueueFactory = () => Promise<JobQueueHarness>;

const lease = 10_000;
const claimOne = (queue: JobQueue, owner = 'worker-a', kinds = ['scan']): Promise<ClaimedJob[]> =>
  queue.claim({ kinds, owner, leaseMs: lease, limit: 1 });

export function jobQueueSuite(name: string, factory: JobQueueFactory): void {
  describe(`JobQueue: ${name}`, () => {
    let harness: JobQueueHarness;
    let clock: TestClock;
    let queue: JobQueue;
    let random: () => number;

    const open = async (overrides: Partial<JobQueueTestOptions> = {}): Promise<void> => {
      queue = await harness.open({
        clock: clock.now,
        backoff: { baseMs: 100, capMs: 1_000, random: () => random() },
        defaultMaxAttempts: 3,
        ...overrides,
      });
    };

    beforeEach(async () => {
      harness = await factory();
      clock = new TestClock();
      random = Math.random;
      await open();
    });

    afterEach(() => harness.dispose());

    const stateOf = async (id: string): Promise<JobRecord['state'] | undefined> => (await queue.get(id))?.state;

    describe('enqueue, claim, complete', () => {
      it('hands a job to one claimer with its payload, then forgets it once done', async () => {
        const payload = { digest: 'sha256:ab', nested: [1, 'two', null, { ok: true }], text: 'ünïcødé' };
        const { id, deduplicated } = await queue.enqueue({ kind: 'scan', payload });
        expect(deduplicated).toBe(false);
        expect(await stateOf(id)).toBe('queued');

        const [job, ...others] = await claimOne(queue);
        expect(others).toEqual([]);
        expect(job).toMatchObject({ id, kind: 'scan', payload, owner: 'worker-a', attempt: 1, maxAttempts: 3, dedupeKey: null });
        expect(job!.leaseUntil).toEqual(new Date(clock.now().getTime() + lease));
        expect(await queue.get(id)).toMatchObject({ state: 'running', attempts: 1, leaseOwner: 'worker-a' });
        expect(await claimOne(queue, 'worker-b')).toEqual([]);

        expect(await queue.complete(job!)).toBe(true);
        expect(await stateOf(id)).toBe('done');
        expect(await queue.complete(job!)).toBe(false);
        clock.advance(lease * 2);
        expect(await claimOne(queue)).toEqual([]);
      });

      it('claims due jobs oldest first, up to the limit', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await queue.enqueue({ kind: 'scan', payload: i, runAt: new Date(clock.now().getTime() - (5 - i) * 1000) })).id);
        }
        const first = await queue.claim({ kinds: ['scan'], owner: 'a', leaseMs: lease, limit: 3 });
        expect(first.map((job) => job.id)).toEqual(ids.slice(0, 3));
        const rest = await queue.claim({ kinds: ['scan'], owner: 'a', leaseMs: lease, limit: 10 });
        expect(rest.map((job) => job.id)).toEqual(ids.slice(3));
      });

      it('claims only the kinds asked for', async () => {
        await queue.enqueue({ kind: 'scan', payload: 's' });
        await queue.enqueue({ kind: 'webhook', payload: 'w' });
        expect(await queue.claim({ kinds: [], owner: 'a', leaseMs: lease, limit: 10 })).toEqual([]);
        expect((await queue.claim({ kinds: ['webhook', 'other'], owner: 'a', leaseMs: lease, limit: 10 })).map((j) => j.payload)).toEqual(['w']);
        expect((await queue.claim({ kinds: ['scan'], owner: 'a', leaseMs: lease, limit: 10 })).map((j) => j.payload)).toEqual(['s']);
      });

      it('does not claim a job before its run-at', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: null, runAt: new Date(clock.now().getTime() + 5_000) });
        expect(await claimOne(queue)).toEqual([]);
        clock.advance(4_999);
        expect(await claimOne(queue)).toEqual([]);
        clock.advance(1);
        expect((await claimOne(queue)).map((job) => job.id)).toEqual([id]);
      });

      it('refuses a maxAttempts below 1', async () => {
        await expect(queue.enqueue({ kind: 'scan', payload: null, maxAttempts: 0 })).rejects.toThrow(RangeError);
      });
    });

    describe('dedupe keys', () => {
      it('keeps one unfinished job per key, and frees the key once it finished', async () => {
        const first = await queue.enqueue({ kind: 'scan', payload: 1, dedupeKey: 'scan:sha256:aa' });
        expect(await queue.enqueue({ kind: 'scan', payload: 2, dedupeKey: 'scan:sha256:aa' })).toEqual({ id: first.id, deduplicated: true });
        const other = await queue.enqueue({ kind: 'scan', payload: 3, dedupeKey: 'scan:sha256:bb' });
        expect(other.id).not.toBe(first.id);

        const [job] = await queue.claim({ kinds: ['scan'], owner: 'a', leaseMs: lease, limit: 1 });
        expect(job!.id).toBe(first.id);
        expect(await queue.enqueue({ kind: 'scan', payload: 4, dedupeKey: 'scan:sha256:aa' })).toEqual({ id: first.id, deduplicated: true });

        await queue.complete(job!);
        const again = await queue.enqueue({ kind: 'scan', payload: 5, dedupeKey: 'scan:sha256:aa' });
        expect(again.deduplicated).toBe(false);
        expect(again.id).not.toBe(first.id);
        expect((await queue.get(again.id))?.payload).toBe(5);
      });

      it('lets a key be queued again after its job died, and then will not revive the dead one', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: 1, dedupeKey: 'k', maxAttempts: 1 });
        const [job] = await claimOne(queue);
        expect(await queue.fail(job!, { message: 'boom', retryable: true })).toBe('dead');
        const fresh = await queue.enqueue({ kind: 'scan', payload: 2, dedupeKey: 'k' });
        expect(fresh.deduplicated).toBe(false);
        expect(await queue.retry(id)).toBe(false);
        expect(await stateOf(id)).toBe('dead');
      });
    });

    describe('leases', () => {
      it('gives a job whose lease expired to another owner and refuses the old one', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: null });
        const [old] = await claimOne(queue, 'worker-a');
        clock.advance(lease - 1);
        expect(await claimOne(queue, 'worker-b')).toEqual([]);
        clock.advance(1);
        const [taken] = await claimOne(queue, 'worker-b');
        expect(taken).toMatchObject({ id, owner: 'worker-b', attempt: 2 });

        expect(await queue.heartbeat(old!, lease)).toBe(false);
        expect(await queue.complete(old!)).toBe(false);
        expect(await queue.fail(old!, { message: 'late', retryable: true })).toBe('lost');
        const record = await queue.get(id);
        expect(record).toMatchObject({ state: 'running', leaseOwner: 'worker-b' });
        expect(record!.lastError).toBe('lease expired on attempt 1 (held by worker-a)');
        expect(await queue.complete(taken!)).toBe(true);
      });

      it('refuses an earlier attempt of the same owner once it claimed the job again', async () => {
        await queue.enqueue({ kind: 'scan', payload: null });
        const [first] = await claimOne(queue, 'worker-a');
        clock.advance(lease);
        const [second] = await claimOne(queue, 'worker-a');
        expect(second!.attempt).toBe(2);
        expect(await queue.complete(first!)).toBe(false);
        expect(await queue.complete(second!)).toBe(true);
      });

      it('keeps a job while its holder heartbeats', async () => {
        await queue.enqueue({ kind: 'scan', payload: null });
        const [job] = await claimOne(queue, 'worker-a');
        for (let i = 0; i < 3; i++) {
          clock.advance(lease * 0.8);
          expect(await queue.heartbeat(job!, lease)).toBe(true);
          expect(await claimOne(queue, 'worker-b')).toEqual([]);
        }
        clock.advance(lease);
        expect(await claimOne(queue, 'worker-b')).toHaveLength(1);
      });

      it('buries a job whose lease expired on its last attempt', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: null, maxAttempts: 2 });
        for (let attempt = 1; attempt <= 2; attempt++) {
          expect((await claimOne(queue, `worker-${attempt}`))[0]?.attempt).toBe(attempt);
          clock.advance(lease);
        }
        expect(await claimOne(queue, 'worker-3')).toEqual([]);
        const record = await queue.get(id);
        expect(record).toMatchObject({ state: 'dead', attempts: 2 });
        expect(record!.lastError).toContain('worker-2');
      });
    });

    describe('failures and retries', () => {
      it('retries after a backoff that doubles up to the cap, then dies keeping the last error', async () => {
        random = () => 0.999_999;
        const { id } = await queue.enqueue({ kind: 'scan', payload: null, maxAttempts: 6 });
        const delays: number[] = [];
        for (let attempt = 1; attempt <= 5; attempt++) {
          const [job] = await claimOne(queue);
          expect(job!.attempt).toBe(attempt);
          expect(await queue.fail(job!, { message: `error ${attempt}`, retryable: true })).toBe('retrying');
          const record = await queue.get(id);
          expect(record).toMatchObject({ state: 'queued', lastError: `error ${attempt}` });
          delays.push(record!.runAt.getTime() - clock.now().getTime());
          clock.advance(delays.at(-1)!);
        }
        expect(delays).toEqual([100, 200, 400, 800, 1_000]);
        const [last] = await claimOne(queue);
        expect(await queue.fail(last!, { message: 'scanner down', retryable: true })).toBe('dead');
        expect(await queue.get(id)).toMatchObject({ state: 'dead', attempts: 6, lastError: 'scanner down' });
        clock.advance(60_000);
        expect(await claimOne(queue)).toEqual([]);
      });

      it('spreads retries uniformly within the bound (full jitter)', async () => {
        const jobs = 40;
        for (let i = 0; i < jobs; i++) await queue.enqueue({ kind: 'scan', payload: i });
        const claimed = await queue.claim({ kinds: ['scan'], owner: 'a', leaseMs: lease, limit: jobs });
        for (const job of claimed) await queue.fail(job, { message: 'x', retryable: true });
        const delays = (await queue.list({ state: 'queued', limit: jobs })).map((job) => job.runAt.getTime() - clock.now().getTime());
        expect(delays).toHaveLength(jobs);
        expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...delays)).toBeLessThanOrEqual(100);
        expect(new Set(delays).size).toBeGreaterThan(10);
      });

      it('postpones a job without spending its attempt, and refuses a lease that is not held', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: null, maxAttempts: 1 });
        for (let round = 0; round < 3; round++) {
          const [job] = await claimOne(queue);
          expect(job!.attempt).toBe(1);
          expect(await queue.postpone(job!, 500, 'scanner down')).toBe(true);
          expect(await queue.get(id)).toMatchObject({ state: 'queued', attempts: 0, lastError: 'scanner down' });
          expect(await claimOne(queue)).toEqual([]);
          clock.advance(500);
        }
        const [job] = await claimOne(queue);
        expect(await queue.complete(job!)).toBe(true);
        expect(await queue.postpone(job!, 500, 'too late')).toBe(false);
      });

      it('kills a job at once on an error that is not retryable', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: null, maxAttempts: 5 });
        const [job] = await claimOne(queue);
        expect(await queue.fail(job!, { message: 'malformed payload', retryable: false })).toBe('dead');
        expect(await queue.get(id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'malformed payload' });
      });

      it('keeps only the start of a huge error message', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: null });
        const [job] = await claimOne(queue);
        await queue.fail(job!, { message: 'x'.repeat(100_000), retryable: false });
        expect((await queue.get(id))!.lastError!.length).toBeLessThanOrEqual(4_000);
      });

      it('queues a dead job again with fresh attempts on retry()', async () => {
        const { id } = await queue.enqueue({ kind: 'scan', payload: 'p', maxAttempts: 1 });
        const [job] = await claimOne(queue);
        await queue.fail(job!, { message: 'boom', retryable: true });
        const woken: string[] = [];
        queue.onEnqueued((kind) => woken.push(kind));

        expect(await queue.retry(id)).toBe(true);
        expect(woken).toEqual(['scan']);
        expect(await queue.get(id)).toMatchObject({ state: 'queued', attempts: 0, lastError: 'boom' });
        const [again] = await claimOne(queue);
        expect(again).toMatchObject({ id, attempt: 1 });
        expect(await queue.retry(id)).toBe(false);
        expect(await queue.retry('no-such-job')).toBe(false);
      });
    });

    describe('concurrency', () => {
      it('never hands the same job to two of several concurrent claimers, and hands out all', async () => {
        const total = 200;
        for (let i = 0; i < total; i++) await queue.enqueue({ kind: 'scan', payload: i });
        const claimLoop = async (owner: string): Promise<string[]> => {
          const mine: string[] = [];
          for (;;) {
            const jobs = await queue.claim({ kinds: ['scan'], owner, leaseMs: lease, limit: 5 });
            if (jobs.length === 0) return mine;
            for (const job of jobs) {
              mine.push(job.id);
              expect(await queue.complete(job)).toBe(true);
            }
          }
        };
        const perClaimer = await Promise.all(['w1', 'w2', 'w3', 'w4'].map(claimLoop));
        const all = perClaimer.flat();
        expect(all).toHaveLength(total);
        expect(new Set(all).size).toBe(total);
        expect((await queue.stats()).done).toBe(total);
      });

      it('dedupes concurrent enqueues of one key to one job', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.enqueue({ kind: 'scan', payload: i, dedupeKey: 'same' })));
        expect(new Set(results.map((result) => result.id)).size).toBe(1);
        expect(results.filter((result) => !result.deduplicated)).toHaveLength(1);
      });
    });

    describe('stats, list, prune, wake-ups', () => {
      it('counts jobs by state and kind', async () => {
        expect(await queue.stats()).toEqual({ queued: 0, running: 0, done: 0, dead: 0, byKind: {} });
        for (let i = 0; i < 3; i++) await queue.enqueue({ kind: 'scan', payload: i });
        await queue.enqueue({ kind: 'webhook', payload: null, maxAttempts: 1 });
        const [scan] = await claimOne(queue);
        await queue.complete(scan!);
        await claimOne(queue);
        const [hook] = await claimOne(queue, 'a', ['webhook']);
        await queue.fail(hook!, { message: 'x', retryable: true });
        expect(await queue.stats()).toEqual({
          queued: 1,
          running: 1,
          done: 1,
          dead: 1,
          byKind: { scan: { queued: 1, running: 1, done: 1, dead: 0 }, webhook: { queued: 0, running: 0, done: 0, dead: 1 } },
        });
      });

      it('lists jobs newest first, by state and kind', async () => {
        const ids: string[] = [];
        for (const kind of ['scan', 'webhook', 'scan']) {
          ids.push((await queue.enqueue({ kind, payload: null })).id);
          clock.advance(1);
        }
        expect((await queue.list()).map((job) => job.id)).toEqual([...ids].reverse());
        expect((await queue.list({ kind: 'scan' })).map((job) => job.id)).toEqual([ids[2], ids[0]]);
        expect((await queue.list({ limit: 1 })).map((job) => job.id)).toEqual([ids[2]]);
        expect(await queue.list({ state: 'dead' })).toEqual([]);
      });

      it('prunes finished jobs older than the cutoff: done by default, dead when asked', async () => {
        const done = await queue.enqueue({ kind: 'scan', payload: null });
        const dead = await queue.enqueue({ kind: 'scan', payload: null, maxAttempts: 1 });
        const queued = await queue.enqueue({ kind: 'other', payload: null });
        const [a] = await claimOne(queue);
        await queue.complete(a!);
        const [b] = await claimOne(queue);
        await queue.fail(b!, { message: 'x', retryable: false });
        const recent = await queue.enqueue({ kind: 'scan', payload: null });
        clock.advance(1_000);
        const [c] = await claimOne(queue);
        await queue.complete(c!);

        const cutoff = new Date(clock.now().getTime() - 500);
        expect(await queue.prune({ finishedBefore: cutoff })).toBe(1);
        expect(await queue.get(done.id)).toBeUndefined();
        expect(await stateOf(dead.id)).toBe('dead');
        expect(await queue.prune({ finishedBefore: cutoff, states: ['dead'] })).toBe(1);
        expect(await queue.get(dead.id)).toBeUndefined();
        expect(await stateOf(queued.id)).toBe('queued');
        expect(await stateOf(recent.id)).toBe('done');
      });

      it('tells listeners of new jobs, not of deduplicated ones, until they unsubscribe', async () => {
        const woken: string[] = [];
        const unsubscribe = queue.onEnqueued((kind) => woken.push(kind));
        queue.onEnqueued(() => {
          throw new Error('a broken listener must not fail the enqueue');
        });
        await queue.enqueue({ kind: 'scan', payload: null, dedupeKey: 'k' });
        await queue.enqueue({ kind: 'scan', payload: null, dedupeKey: 'k' });
        await queue.enqueue({ kind: 'webhook', payload: null });
        unsubscribe();
        await queue.enqueue({ kind: 'scan', payload: null });
        expect(woken).toEqual(['scan', 'webhook']);
      });
    });
  });
}
