// Bucket scanning throughput: objects scanned per second by 1 and 2 `scangate bucket watch`
// workers (real processes, one queue, one SQLite data dir) from a backlog of S3 event
// notifications, against raw clamd INSTREAM of the same objects in the same run, with the
// same number of streams at once. A second baseline fetches each object from the same S3
// server and streams it into clamd (no tags, no database, no broker): the part of the gap
// that is S3's. Prints medians and ratios, writes bench/results/bucket-scan.json, exits 0
// whatever the figures.
// Usage: npm run bench:bucket -- [--objects N] [--kib K] [--concurrency C] [--workers 1,2] [--reps R]
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { inParallel } from '../src/remotes/sync.js';
import { openTestAmqp, ownTopology, testAmqpUrl, uniqueName, type TestAmqp } from '../test/support/amqp.js';
import { awsPutEvent, s3rverClient, s3rverCredentials, uniqueBucket } from '../test/support/s3rver.js';
import { killChildrenSync, startChild, startS3rverChild, type Child } from './lib/bucket-processes.js';
import { killBenchClamdSync, startBenchClamd, stopBenchClamd, type BenchClamd } from './lib/clamd-server.js';
import { instream, parseTcpAddress } from './lib/raw-clamd.js';
import { median } from './lib/report.js';
import { cpuSeconds } from './lib/rss.js';
import { runGuarded } from './lib/run-guard.js';

// Compiled to bench/.build/bench/bucket-scan.js.
const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = dirname(benchDir);

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '200' },
    kib: { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '3' },
    'deadline-minutes': { type: 'string', default: '15' },
    out: { type: 'string', default: join(benchDir, 'results', 'bucket-scan.json') },
  },
});

const objectCount = Number(args.objects);
const objectBytes = Number(args.kib) * 1024;
const concurrency = Number(args.concurrency);
const workerCounts = args.workers.split(',').map(Number);
const repetitions = Number(args.reps);
const workDir = mkdtempSync(join(tmpdir(), 'bench-bucket-'));
const startLoad = loadavg()[0] ?? 0;

type Side = 'raw' | 'get+raw' | 'scangate';

interface Measurement {
  repetition: number;
  workers: number;
  side: Side;
  seconds: number;
  objectsPerSecond: number;
  /** clamd's CPU seconds during the measurement. */
  clamdCpu: number;
  /** scangate side: objects handled by each worker. */
  split?: number[];
}

interface Backlog {
  bucket: string;
  objects: { key: string; bytes: Buffer; etag: string }[];
}

interface Bench {
  clamd: BenchClamd;
  s3: Child & { endpoint: string };
  client: S3Client;
  amqp: TestAmqp;
}

/** A fresh bucket of fresh random objects: no cache anywhere can know them. */
async function backlog(bench: Bench): Promise<Backlog> {
  const bucket = uniqueBucket('bench');
  await bench.client.send(new CreateBucketCommand({ Bucket: bucket }));
  const objects: Backlog['objects'] = Array.from({ length: objectCount }, (_, i) => ({ key: `bench/object-${i}.bin`, bytes: randomBytes(objectBytes), etag: '' }));
  await inParallel(objects, 8, async (o) => {
    const put = await bench.client.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.bytes }));
    o.etag = put.ETag!.replace(/"/g, '');
  });
  return { bucket, objects };
}

async function timed(bench: Bench, repetition: number, workers: number, side: Side, run: () => Promise<number[] | void>): Promise<Measurement> {
  const cpuBefore = cpuSeconds(bench.clamd.pid);
  const started = process.hrtime.bigint();
  const split = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { repetition, workers, side, seconds, objectsPerSecond: objectCount / seconds, clamdCpu: cpuSeconds(bench.clamd.pid) - cpuBefore, ...(split ? { split } : {}) };
}

/** The same objects from memory straight into clamd, `streams` at once. */
function rawInstream(bench: Bench, data: Backlog, streams: number): Promise<void> {
  const target = parseTcpAddress(bench.clamd.address);
  return inParallel(data.objects, streams, async (o) => void (await instream(target, Readable.from([o.bytes]))));
}

/** Each object fetched from the S3 server and streamed into clamd, `streams` at once. */
function getAndInstream(bench: Bench, data: Backlog, streams: number): Promise<void> {
  const target = parseTcpAddress(bench.clamd.address);
  return inParallel(data.objects, streams, async (o) => {
    const got = await bench.client.send(new GetObjectCommand({ Bucket: data.bucket, Key: o.key }));
    await instream(target, got.Body as Readable);
  });
}

/** `workers` bucket watch processes on one queue; from the first event published to the last result. */
async function scangateWorkers(bench: Bench, data: Backlog, workers: number, repetition: number): Promise<Measurement> {
  const queue = uniqueName('bench-bucket');
  const exchange = uniqueName('bench-results');
  ownTopology(bench.amqp, queue);
  const results = await bench.amqp.collect<{ key: string; status: string; worker: string }>(exchange);
  const dataDir = mkdtempSync(join(workDir, 'data-'));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: s3rverCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3rverCredentials.secretAccessKey };
  const children: Child[] = [];
  try {
    // One after the other: the first brings the database schema up to date.
    for (let i = 0; i < workers; i++) {
      const argv = [join(repoRoot, 'bin/scangate.js'), 'bucket', 'watch', '--data', dataDir, '--bucket', data.bucket, '--amqp', testAmqpUrl, '--queue', queue,
        '--s3-endpoint', bench.s3.endpoint, '--path-style', '--clamd', bench.clamd.address, '--publish-exchange', exchange, '--report-clean',
        '--concurrency', String(concurrency)];
      children.push(await startChild(`bucket watch ${i + 1}`, argv, env, /scangate bucket watch started/));
    }
    return await timed(bench, repetition, workers, 'scangate', async () => {
      for (const o of data.objects) bench.amqp.channel.sendToQueue(queue, Buffer.from(JSON.stringify(awsPutEvent({ bucket: data.bucket, key: o.key, etag: o.etag, size: o.bytes.length }))), { persistent: true });
      await bench.amqp.channel.waitForConfirms();
      const all = await results.waitFor(objectCount, 600_000);
      const wrong = all.filter((r) => r.status !== 'clean');
      if (wrong.length > 0) throw new Error(`${wrong.length} objects were not clean: ${JSON.stringify(wrong[0])}`);
      const byWorker = new Map<string, number>();
      for (const r of all) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
      return [...byWorker.values()];
    });
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

async function repetition(bench: Bench, rep: number): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const workers of workerCounts) {
    const data = await backlog(bench);
    const streams = workers * concurrency;
    const baselines = async () => {
      out.push(await timed(bench, rep, workers, 'raw', () => rawInstream(bench, data, streams)));
      out.push(await timed(bench, rep, workers, 'get+raw', () => getAndInstream(bench, data, streams)));
    };
    // Alternate which side goes first, so neither always meets a warm page cache.
    if (rep % 2 === 1) await baselines();
    out.push(await scangateWorkers(bench, data, workers, rep));
    if (rep % 2 === 0) await baselines();
    for (const m of out.slice(-3)) {
      const split = m.split ? `  split ${m.split.join('/')}` : '';
      console.log(`  rep ${rep}  ${workers} worker(s)  ${m.side.padEnd(8)} ${m.objectsPerSecond.toFixed(1).padStart(8)} objects/s  (${m.seconds.toFixed(2)} s, clamd cpu ${m.clamdCpu.toFixed(2)} s)${split}`);
    }
  }
  return out;
}

function table(measurements: Measurement[]): string {
  const lines = [
    `bucket objects scanned per second: ${objectCount} x ${args.kib} KiB random objects, ${concurrency} at once per worker (raw sides: as many streams as all workers); medians of ${repetitions}`,
    '',
    'workers  raw INSTREAM/s  S3 GET+INSTREAM/s  scangate/s  scangate:raw  scangate:GET+INSTREAM',
  ];
  for (const workers of workerCounts) {
    const of = (side: Side) => median(measurements.filter((m) => m.workers === workers && m.side === side).map((m) => m.objectsPerSecond));
    const [raw, get, gate] = [of('raw'), of('get+raw'), of('scangate')];
    lines.push(`${String(workers).padStart(7)}  ${raw.toFixed(1).padStart(14)}  ${get.toFixed(1).padStart(17)}  ${gate.toFixed(1).padStart(10)}  ${(gate / raw).toFixed(2).padStart(12)}  ${(gate / get).toFixed(2).padStart(21)}`);
  }
  const one = median(measurements.filter((m) => m.workers === 1 && m.side === 'scangate').map((m) => m.objectsPerSecond));
  const two = median(measurements.filter((m) => m.workers === 2 && m.side === 'scangate').map((m) => m.objectsPerSecond));
  if (one && two) lines.push('', `2 workers / 1 worker: ${(two / one).toFixed(2)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  const clamd = await startBenchClamd();
  const s3 = await startS3rverChild(mkdtempSync(join(workDir, 's3-')));
  const amqp = await openTestAmqp();
  const bench: Bench = { clamd, s3, client: s3rverClient(s3.endpoint), amqp };
  console.log(`clamd pid ${clamd.pid} at ${clamd.address} (DisableCache yes); s3rver pid ${s3.pid} at ${s3.endpoint}; RabbitMQ at ${testAmqpUrl.replace(/:[^:@/]*@/, ':***@')}`);
  const measurements: Measurement[] = [];
  try {
    for (let rep = 1; rep <= repetitions; rep++) measurements.push(...(await repetition(bench, rep)));
  } finally {
    bench.client.destroy();
    await amqp.dispose();
    await s3.stop();
  }
  const text = table(measurements);
  console.log(`\n${text}`);
  mkdirSync(dirname(args.out), { recursive: true });
  const summary = {
    startedAt: new Date().toISOString(),
    objects: objectCount,
    objectBytes,
    concurrency,
    repetitions,
    load: { start: startLoad, end: loadavg()[0] ?? 0, cores: availableParallelism() },
    notes: [
      'scangate side: `scangate bucket watch` processes (SQLite in one data dir), from the first notification published to the last result received; each object is HEADed, claimed, GET-streamed into clamd, tagged (read, write, ETag re-checked), recorded and its result published with a broker confirm',
      'raw: the objects from memory into clamd INSTREAM; S3 GET+INSTREAM: each object fetched from the same s3rver and streamed into clamd',
      's3rver (an S3 server in Node) is far slower per request than MinIO or AWS: the S3 GET+INSTREAM column shows its share',
    ],
    text,
    measurements,
  };
  writeFileSync(args.out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`summary written to ${args.out}`);
}

await runGuarded(
  {
    name: 'bench:bucket',
    stopping: 'the workers, s3rver and clamd',
    deadlineMinutes: Number(args['deadline-minutes']),
    cleanUp: async () => {
      killChildrenSync();
      await stopBenchClamd();
      rmSync(workDir, { recursive: true, force: true });
    },
    killSync: () => {
      killChildrenSync();
      killBenchClamdSync();
      rmSync(workDir, { recursive: true, force: true });
    },
  },
  main,
);
