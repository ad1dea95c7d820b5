// scangate vs Debian's docker-registry, side by side in one run: starts both, runs every
// scenario on both in alternating order, prints medians and ratios, writes
// bench/results/latest.json. Exits 0 whatever the figures: benchmarks never fail CI.
// Usage: npm run bench -- [--reps N] [--big-mib N] [--only id,id] [--candidate docker-registry]
//        [--scangate-config FILE] [--scangate-node-arg ARG]... (see bench/README.md)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { measure, type Measurement } from './lib/measure.js';
import { RegistryClient } from './lib/oci-client.js';
import { peakRss, renderTable, summarizeRow, type Summary } from './lib/report.js';
import { scenarios, type BenchOptions, type SharedPayloads } from './lib/scenarios.js';
import { runGuarded } from './lib/run-guard.js';
import { killAllSync, startDockerRegistry, startScangate, stopAll, type RunningRegistry } from './lib/servers.js';

const MIB = 1024 * 1024;
// Compiled to bench/.build/bench/registry-throughput.js.
const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = dirname(benchDir);

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    'big-mib': { type: 'string', default: '1024' },
    'chunk-mib': { type: 'string', default: '64' },
    'fanout-mib': { type: 'string', default: '256' },
    only: { type: 'string' },
    candidate: { type: 'string', default: 'scangate' },
    'scangate-config': { type: 'string' },
    'scangate-node-arg': { type: 'string', multiple: true, default: [] },
    'deadline-minutes': { type: 'string', default: '20' },
    out: { type: 'string', default: join(benchDir, 'results', 'latest.json') },
  },
});

const options: BenchOptions = {
  bigBytes: Number(args['big-mib']) * MIB,
  chunkBytes: Number(args['chunk-mib']) * MIB,
  smallCount: 200,
  smallBytes: MIB,
  smallConcurrency: 8,
  fanOutCount: 32,
  fanOutBytes: Number(args['fanout-mib']) * MIB,
};
const repetitions = Number(args.reps);
const startedAt = new Date();
const startLoad = loadavg()[0] ?? 0;
const selected = args.only
  ? scenarios.filter((scenario) => (args.only ?? '').split(',').includes(scenario.id))
  : scenarios;

function startCandidate(): Promise<RunningRegistry> {
  if (args.candidate === 'docker-registry') return startDockerRegistry('docker-registry#2');
  if (args.candidate !== 'scangate') throw new Error(`--candidate must be scangate or docker-registry`);
  return startScangate('scangate', {
    repoRoot,
    nodeArgs: args['scangate-node-arg'] ?? [],
    ...(args['scangate-config'] ? { configFile: resolve(args['scangate-config']) } : {}),
  });
}

async function runRepetitions(peer: RunningRegistry, candidate: RunningRegistry): Promise<Measurement[]> {
  const clients = new Map([peer, candidate].map((r) => [r, new RegistryClient(r.origin, options.fanOutCount)]));
  const measurements: Measurement[] = [];
  try {
    for (let repetition = 1; repetition <= repetitions; repetition++) {
      const shared: SharedPayloads = {};
      // Alternate who goes first, so neither always meets a warm (or a dirty) page cache.
      const order = repetition % 2 === 1 ? [peer, candidate] : [candidate, peer];
      for (const scenario of selected) {
        const state = await scenario.prepare(options, shared);
        for (const registry of order) {
          const m = await measure(scenario, state, registry, clients.get(registry) as RegistryClient, repetition);
          measurements.push(m);
          console.log(`  rep ${repetition}  ${scenario.id.padEnd(20)} ${registry.label.padEnd(17)} ` +
            `${m.throughput.toFixed(0).padStart(6)} MB/s  ${m.seconds.toFixed(2)} s  server CPU ${m.serverCpuSecondsPerGB.toFixed(2)} s/GB` +
            `  client CPU ${m.clientCpuPercent.toFixed(0)}%` +
            (m.rss ? `  RSS peak ${(Math.max(m.rss.sampledPeakBytes, m.rss.highWaterMarkBytes) / 1e6).toFixed(0)} MB` : ''));
        }
      }
    }
  } finally {
    await Promise.all([...clients.values()].map((client) => client.close()));
  }
  return measurements;
}

function summarize(peer: RunningRegistry, candidate: RunningRegistry, measurements: Measurement[]): Summary {
  return {
    startedAt: startedAt.toISOString(),
    peer: peer.label,
    candidate: candidate.label,
    repetitions,
    load: { start: startLoad, end: loadavg()[0] ?? 0, cores: availableParallelism() },
    rows: selected.map((s) => summarizeRow(s.id, s.title(options), peer.label, candidate.label, measurements)),
    rss: [peakRss(candidate.label, measurements, true), peakRss(peer.label, measurements, false)].filter(
      (line) => line.peakBytes > 0,
    ),
    measurements,
  };
}

async function main(): Promise<void> {
  const peer = await startDockerRegistry('docker-registry');
  const candidate = await startCandidate();
  console.log(`peer ${peer.label} pid ${peer.pid} at ${peer.origin}; candidate ${candidate.label} pid ${candidate.pid} at ${candidate.origin}`);
  const measurements = await runRepetitions(peer, candidate);
  // The servers' own logs go next to the summary: they tell why a figure is odd.
  await stopAll(dirname(args.out));
  const summary = summarize(peer, candidate, measurements);
  console.log(`\n${renderTable(summary)}`);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`summary written to ${args.out}`);
}

await runGuarded(
  { name: 'bench', stopping: 'the registries', deadlineMinutes: Number(args['deadline-minutes']), cleanUp: () => stopAll(), killSync: killAllSync },
  main,
);
