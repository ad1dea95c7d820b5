// Several processes claiming from one queue, one of them killed with SIGKILL while it holds
// jobs: every job is processed, none by two survivors, and the dead process's jobs come back
// when their leases lapse. Run by each SQL dialect's test file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Config } from '../../config/schema.js';
import { openDatabase } from '../../metadata/database.js';
import { migrateToLatest } from '../../metadata/migrations/index.js';
import { transpileFolders } from '../../metadata/testing/transpile.js';
import { SqlJobQueue } from '../sql-job-queue.js';

const total = 300;
const survivors = 3;
const heldByVictim = 10;
const victimLeaseMs = 1_000;

// argv: database config (JSON), owner, mode (victim | survivor), total.
// A victim claims jobs, reports them, and hangs until killed. A survivor says "ready" once its
// database is open, waits for a line on stdin (all start together, however slowly a loaded
// machine started each process), claims and completes until every job is done, then prints
// the ids it claimed.
const claimerScript = `
import { openDatabase } from './src/metadata/database.js';
import { SqlJobQueue } from './src/jobs/sql-job-queue.js';
const [config, owner, mode, total] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const db = openDatabase(JSON.parse(config), '.');
const queue = new SqlJobQueue(db);
if (mode === 'victim') {
  const jobs = await queue.claim({ kinds: ['proc'], owner, leaseMs: ${victimLeaseMs}, limit: ${heldByVictim} });
  process.stdout.write(JSON.stringify(jobs.map((job) => job.id)) + '\\n');
  setInterval(() => {}, 60_000);
} else {
  await queue.stats();
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  const claimed = [];
  for (;;) {
    const jobs = await queue.claim({ kinds: ['proc'], owner, leaseMs: 30_000, limit: 5 });
    for (const job of jobs) {
      claimed.push(job.id);
      await new Promise((resolve) => setImmediate(resolve));
      if (!(await queue.complete(job))) throw new Error('lost the lease of ' + job.id);
    }
    if (jobs.length > 0) continue;
    if ((await queue.stats()).done >= Number(total)) break;
    await sleep(50);
  }
  process.stdout.write(JSON.stringify(claimed));
  await db.destroy();
}
`;

export interface ClaimerProcessesHarness {
  /** A fresh database that child processes can open (a file for SQLite, not :memory:). */
  database: Config['database'];
  dispose(): Promise<void>;
}

export function claimerProcessesTest(name: string, factory: () => Promise<ClaimerProcessesHarness>): void {
  it(`${name}: ${survivors} processes share ${total} jobs without processing one twice, and one SIGKILLed loses none`, async () => {
    const harness = await factory();
    const dir = await mkdtemp(join(tmpdir(), 'scangate-claimers-'));
    const db = openDatabase(harness.database, dir);
    try {
      await transpileFolders(['src/ports', 'src/metadata', 'src/jobs'], join(dir, 'js'));
      await writeFile(join(dir, 'js', 'claimer.js'), claimerScript);
      await migrateToLatest(db, harness.database.driver);
      const queue = new SqlJobQueue(db);
      for (let i = 0; i < total; i++) await queue.enqueue({ kind: 'proc', payload: i });

      const config = JSON.stringify(harness.database);
      const victim = startClaimer(dir, [config, 'victim', 'victim', String(total)]);
      const held = JSON.parse(await firstLine(victim.child)) as string[];
      victim.child.kill('SIGKILL');
      await victim.done.catch(() => undefined);
      expect(held).toHaveLength(heldByVictim);

      const runs = Array.from({ length: survivors }, (_, i) => startClaimer(dir, [config, `survivor-${i}`, 'survivor', String(total)]));
      await Promise.all(runs.map((run) => firstLine(run.child)));
      for (const run of runs) run.child.stdin!.end('go\n');
      const outputs = await Promise.all(runs.map((run) => run.done));
      const claimed = outputs.map((output) => JSON.parse(output.slice(output.indexOf('\n') + 1)) as string[]);

      const all = claimed.flat();
      expect(new Set(all).size).toBe(all.length);
      expect(all).toHaveLength(total);
      // Concurrency was exercised (on a loaded machine one process may be starved throughout).
      expect(claimed.filter((ids) => ids.length > 0).length, 'survivors that got work').toBeGreaterThanOrEqual(2);
      for (const id of held) expect(await queue.get(id)).toMatchObject({ state: 'done', attempts: 2 });
      expect(await queue.stats()).toMatchObject({ queued: 0, running: 0, done: total, dead: 0 });
    } finally {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
      await harness.dispose();
    }
  });
}

function startClaimer(dir: string, args: string[]): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, ['claimer.js', ...args], { cwd: join(dir, 'js'), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`claimer exited with ${code}: ${stderr}`))));
  });
  return { child, done };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end >= 0) resolve(buffered.slice(0, end));
    });
    child.on('close', (code) => reject(new Error(`claimer exited with ${code} before reporting its jobs`)));
  });
}
