// The scan gate's cost: time from the end of a push to the artifact being pullable through
// scangate, against raw clamd INSTREAM of the same bytes to the same clamd in the same run
// (target <= 1.10x), for a big gzip layer and an image of small layers; and scan throughput
// with 1, 2 and 4 concurrent scans. Prints medians and ratios, writes
// bench/results/scan-latency.json, exits 0 whatever the figures.
// Usage: npm run bench:scan -- [--reps N] [--only big,small,throughput] [--big-mb N] (see bench/README.md)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killBenchClamdSync, startBenchClamd, stopBenchClamd } from './lib/clamd-server.js';
import { startGatedScangate } from './lib/gated-scangate.js';
import { RegistryClient } from './lib/oci-client.js';
import { parseTcpAddress } from './lib/raw-clamd.js';
import { renderScanTable, summarizeScanRow, type RowSpec, type ScanSummary } from './lib/scan-report.js';
import {
  bigLayerRepetition,
  smallLayersRepetition,
  throughputRepetition,
  type GateUnderTest,
  type ScanBench,
  type ScanMeasurement,
  type SizeOptions,
} from './lib/scan-scenarios.js';
import { runGuarded } from './lib/run-guard.js';
import { killAllSync, stopAll } from './lib/servers.js';

// Compiled to bench/.build/bench/scan-latency.js.
const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = dirname(benchDir);

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string', default: 'big,small,throughput' },
    'big-mb': { type: 'string', default: '200' },
    'small-count': { type: 'string', default: '20' },
    'small-kib': { type: 'string', default: '256' },
    'throughput-count': { type: 'string', default: '16' },
    'throughput-mib': { type: 'string', default: '16' },
    'throughput-concurrency': { type: 'string', default: '1,2,4' },
    // scangate's default scanning.concurrency, for the latency scenarios.
    concurrency: { type: 'string', default: '2' },
    'poll-ms': { type: 'string', default: '20' },
    'scan-poll-ms': { type: 'string', default: '100' },
    'scangate-node-arg': { type: 'string', multiple: true, default: [] },
    'deadline-minutes': { type: 'string', default: '12' },
    out: { type: 'string', default: join(benchDir, 'results', 'scan-latency.json') },
  },
});

const repetitions = Number(args.reps);
const only = new Set(args.only.split(','));
const sizes: SizeOptions = {
  bigBytes: Number(args['big-mb']) * 1e6,
  smallCount: Number(args['small-count']),
  smallBytes: Number(args['small-kib']) * 1024,
  throughputCount: Number(args['throughput-count']),
  throughputBytes: Math.round(Number(args['throughput-mib']) * 1024 * 1024),
};
const latencyConcurrency = Number(args.concurrency);
const throughputConcurrencies = args['throughput-concurrency'].split(',').map(Number);
const startLoad = loadavg()[0] ?? 0;
const workDir = mkdtempSync(join(tmpdir(), 'bench-scan-'));
const logsDir = dirname(args.out);

function rowSpecs(): RowSpec[] {
  const big = `${Math.round(sizes.bigBytes / 1e6)} MB gzip layer`;
  const small = `${sizes.smallCount} x ${sizes.smallBytes / 1024} KiB gzip layers`;
  const blobs = `${sizes.throughputCount} x ${sizes.throughputBytes / 2 ** 20} MiB blobs`;
  return [
    { row: 'big-layer', title: `${big}: end of push -> layer pullable`, unit: 's', target: false, oneScanAtATime: true },
    { row: 'big-artifact', title: `${big}: end of push -> image pullable`, unit: 's', target: true, oneScanAtATime: true },
    { row: 'small-parallel', title: `${small} -> image pullable (raw ${latencyConcurrency} at once)`, unit: 's', target: true, oneScanAtATime: false },
    { row: 'small-sequential', title: `${small} -> image pullable (raw one by one)`, unit: 's', target: false, oneScanAtATime: false },
    ...throughputConcurrencies.map((c): RowSpec => ({
      row: `throughput-${c}`,
      title: `${blobs}, ${c} concurrent scan${c > 1 ? 's' : ''}: start of push -> all clean`,
      unit: 'MB/s',
      target: false,
      oneScanAtATime: c === 1,
    })),
  ];
}

async function withGate(bench: ScanBench, label: string, concurrency: number, run: (gate: GateUnderTest) => Promise<void>): Promise<void> {
  const gated = await startGatedScangate({
    repoRoot,
    workDir,
    clamdAddress: bench.clamd.address,
    concurrency,
    nodeArgs: args['scangate-node-arg'],
    label,
  });
  console.log(`${label} pid ${gated.registry.pid} at ${gated.registry.origin} (scanning.concurrency ${concurrency})`);
  const client = new RegistryClient(gated.registry.origin, 8);
  try {
    await run({ gated, client, concurrency });
  } finally {
    await client.close();
    await gated.registry.stop(logsDir);
  }
}

function report(m: ScanMeasurement): void {
  const detail = Object.entries(m.detail).map(([key, value]) => `${key} ${value.toFixed(2)}`).join('  ');
  console.log(`  rep ${m.repetition}  ${m.row.padEnd(16)} ${m.side.padEnd(8)} ${m.seconds.toFixed(2).padStart(7)} s  ${detail}`);
}

async function runAll(bench: ScanBench): Promise<ScanMeasurement[]> {
  const measurements: ScanMeasurement[] = [];
  const record = (batch: ScanMeasurement[]) => {
    batch.forEach(report);
    measurements.push(...batch);
  };
  if (only.has('big') || only.has('small')) {
    await withGate(bench, 'scangate-latency', latencyConcurrency, async (gate) => {
      for (let repetition = 1; repetition <= repetitions; repetition++) {
        if (only.has('big')) record(await bigLayerRepetition(bench, gate, sizes, repetition));
        if (only.has('small')) record(await smallLayersRepetition(bench, gate, sizes, repetition));
      }
    });
  }
  if (only.has('throughput')) {
    // A fresh scangate per setting: scanning.concurrency is read at start.
    for (const concurrency of throughputConcurrencies) {
      await withGate(bench, `scangate-throughput-c${concurrency}`, concurrency, async (gate) => {
        for (let repetition = 1; repetition <= repetitions; repetition++) {
          record(await throughputRepetition(bench, gate, sizes, repetition));
        }
      });
    }
  }
  return measurements;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  const clamd = await startBenchClamd();
  console.log(`clamd pid ${clamd.pid} at ${clamd.address} (test signatures, DisableCache yes)`);
  const bench: ScanBench = { clamd, target: parseTcpAddress(clamd.address), workDir, pollMs: Number(args['poll-ms']), scanPollMs: Number(args['scan-poll-ms']), timeoutMs: 300_000 };
  const measurements = await runAll(bench);
  await stopBenchClamd();
  const summary: ScanSummary = {
    startedAt: startedAt.toISOString(),
    repetitions,
    load: { start: startLoad, end: loadavg()[0] ?? 0, cores: availableParallelism() },
    rows: rowSpecs().flatMap((spec) => summarizeScanRow(spec, measurements) ?? []),
    notes: [
      'fresh random content every repetition, and clamd runs with DisableCache: neither its clean-file cache nor scangate\'s verdict cache saves a scan',
      `polls: the image every ${bench.pollMs} ms once its PUT returned; while scans run, the layer (GET of its first byte) and the admin pending count every ${bench.scanPollMs} ms; figures have that resolution`,
      'ratio less waits: both sides\' wall time less the time clamd\'s threads waited for a core (run-queue wait), i.e. without the other work on the machine',
      'clamd idle s: wall time less clamd\'s CPU time and run-queue wait: clamd waiting for bytes or for the next job, i.e. the gate\'s own cost in seconds (raw ~0)',
    ],
    measurements,
  };
  console.log(`\n${renderScanTable(summary)}`);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`summary written to ${args.out}`);
}

async function cleanUp(): Promise<void> {
  await stopAll();
  await stopBenchClamd();
  rmSync(workDir, { recursive: true, force: true });
}

await runGuarded(
  {
    name: 'bench:scan',
    stopping: 'scangate and clamd',
    deadlineMinutes: Number(args['deadline-minutes']),
    cleanUp,
    killSync: () => {
      killAllSync();
      killBenchClamdSync();
      rmSync(workDir, { recursive: true, force: true });
    },
  },
  main,
);
