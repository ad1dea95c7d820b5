// Several processes on one SQLite file at once (servers starting together, `scangate fsck`
// beside a server): migrations run once, and concurrent writers wait for each other
// (BEGIN IMMEDIATE under busy_timeout) instead of failing with SQLITE_BUSY.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { migrationProvider } from './migrations/index.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { collect } from './testing/fixtures.js';
import { transpileFolders } from './testing/transpile.js';

const processes = 4;
const manifestsEach = 25;

// Waits for a shared start time so that every process migrates at the same moment.
const workerScript = `
import { openDatabase } from './src/metadata/database.js';
import { SqlMetadataStore } from './src/metadata/sql-metadata-store.js';
import { digestOf, newManifest } from './src/metadata/testing/fixtures.js';
const [file, worker, startAt, count] = process.argv.slice(2);
const store = new SqlMetadataStore(openDatabase({ driver: 'sqlite', path: file }, '.'));
await new Promise((resolve) => setTimeout(resolve, Number(startAt) - Date.now()));
await store.migrate();
for (let i = 0; i < Number(count); i++) {
  await store.linkBlob('shared', { digest: digestOf('w' + worker + '-blob-' + i), size: i });
  await store.putManifest(newManifest('shared', 'w' + worker + '-' + i), 'w' + worker + '-' + i);
  await store.putManifest(newManifest('shared', 'common'), 'common');
}
await store.close();
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-sqlite-processes-'));
  await transpileFolders(['src/domain', 'src/ports', 'src/config', 'src/metadata'], join(dir, 'js'));
  await writeFile(join(dir, 'js', 'worker.js'), workerScript);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

it('migrates once and writes from several processes at once without SQLITE_BUSY', async () => {
  const file = join(dir, 'scangate.db');
  const startAt = Date.now() + 1500;
  const runs = Array.from({ length: processes }, (_, worker) => runWorker([file, String(worker), String(startAt), String(manifestsEach)]));
  for (const run of await Promise.all(runs)) expect(run.stderr, `worker exited with ${run.code}`).toBe('');

  const db = openDatabase({ driver: 'sqlite', path: file }, dir);
  const migrations = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  expect(migrations.rows.map((row) => row.name)).toEqual(Object.keys(await migrationProvider('sqlite').getMigrations()));
  const store = new SqlMetadataStore(db);
  try {
    expect(await collect(store.allManifests())).toHaveLength(processes * manifestsEach + 1);
    expect(await collect(store.allBlobs())).toHaveLength(processes * manifestsEach);
    expect(await store.listTags('shared')).toHaveLength(processes * manifestsEach + 1);
  } finally {
    await store.close();
  }
});

function runWorker(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['worker.js', ...args], { cwd: join(dir, 'js'), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr: code === 0 ? stderr : stderr || `exit code ${code}` }));
  });
}
