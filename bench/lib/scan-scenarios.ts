// The scan benchmark's three scenarios. Each repetition makes fresh content, measures it
// raw (INSTREAM straight to clamd) and through scangate (push, then poll until a pull would
// succeed), in an order that alternates per repetition, and returns one measurement per
// row and side. Content is never reused, so no verdict cache (scangate's) and no clean-file
// cache (clamd's, off anyway) can turn a scan into a lookup.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchClamd } from './clamd-server.js';
import { stateCounts, type GatedScangate } from './gated-scangate.js';
import { buildLayer, type LayerFile } from './layer-archive.js';
import type { RegistryClient } from './oci-client.js';
import { blobPullable, bufferPayload, filePayload, imageDocuments, manifestPullable, MANIFEST_MEDIA_TYPE, pollUntil } from './oci-image.js';
import { makePayload, type Payload } from './payload.js';
import { instream, instreamFile, type ClamdTarget } from './raw-clamd.js';
import { median } from './report.js';
import { cpuSeconds } from './rss.js';
import { runQueueSecondsSince, runQueueSnapshot } from './run-queue.js';
import { forEachConcurrently } from './scenarios.js';

const MIB = 1024 * 1024;
/** Layers pushed at once, as docker and skopeo do (they push a few in parallel). */
const PUSH_CONCURRENCY = 4;

export interface ScanMeasurement {
  /** Row of the result table this figure belongs to. */
  row: string;
  side: 'raw' | 'scangate';
  repetition: number;
  /** The timed figure: scan time (raw) or end of push to pullable (scangate). */
  seconds: number;
  bytes: number;
  /** Figures around it: push time, PUT time, CPU seconds of clamd and scangate... */
  detail: Record<string, number>;
}

export interface ScanBench {
  clamd: BenchClamd;
  target: ClamdTarget;
  workDir: string;
  pollMs: number;
  /**
   * How often scangate is polled while scans run: the last layer (GET of its first byte;
   * 0: not polled) as the manifest PUT waits, the admin API's pending count in the
   * throughput scenario. Slower than pollMs by default: each such poll costs scangate
   * 0.5-2 ms of CPU, which on a busy 2-core machine is taken from clamd.
   */
  scanPollMs: number;
  /** The longest a scan may take before the run is declared failed. */
  timeoutMs: number;
}

export interface GateUnderTest {
  gated: GatedScangate;
  client: RegistryClient;
  /** Its scanning.concurrency: the raw side runs that many INSTREAMs at once to compare. */
  concurrency: number;
}

export interface SizeOptions {
  bigBytes: number;
  smallCount: number;
  smallBytes: number;
  throughputCount: number;
  throughputBytes: number;
}

type Side = () => Promise<ScanMeasurement[]>;

/** Alternates who goes first, so neither side always meets a warm or a dirty page cache. */
async function inTurn(repetition: number, sides: Side[]): Promise<ScanMeasurement[]> {
  const order = repetition % 2 === 1 ? sides : [...sides].reverse();
  const all: ScanMeasurement[] = [];
  for (const side of order) all.push(...(await side()));
  return all;
}

/** CPU seconds that clamd (and scangate, when given) spent while `task` ran, and their waits for a core. */
async function withCpu<T>(bench: ScanBench, scangatePid: number | undefined, task: () => Promise<T>) {
  const clamdBefore = cpuSeconds(bench.clamd.pid);
  const clamdWaitBefore = runQueueSnapshot(bench.clamd.pid);
  const scangateBefore = scangatePid ? cpuSeconds(scangatePid) : 0;
  const scangateWaitBefore = scangatePid ? runQueueSnapshot(scangatePid) : new Map();
  const value = await task();
  const cpu: Record<string, number> = {
    clamdCpuS: cpuSeconds(bench.clamd.pid) - clamdBefore,
    clamdRunQueueS: runQueueSecondsSince(bench.clamd.pid, clamdWaitBefore),
  };
  if (scangatePid) {
    cpu.scangateCpuS = cpuSeconds(scangatePid) - scangateBefore;
    cpu.scangateRunQueueS = runQueueSecondsSince(scangatePid, scangateWaitBefore);
  }
  return { value, cpu };
}

async function timeRaw(bench: ScanBench, task: () => Promise<unknown>): Promise<{ seconds: number; cpu: Record<string, number> }> {
  execFileSync('sync');
  const started = performance.now();
  const { cpu } = await withCpu(bench, undefined, task);
  return { seconds: (performance.now() - started) / 1000, cpu };
}

/** Pushes config and layers, then the manifest; times from the end of the layers' push. */
async function pushImageTimed(bench: ScanBench, gate: GateUnderTest, repo: string, tag: string, layers: LayerFile[]) {
  const { client } = gate;
  const docs = imageDocuments(layers);
  execFileSync('sync');
  const pushStarted = performance.now();
  await client.pushLayer(repo, bufferPayload(docs.config));
  const { value, cpu } = await withCpu(bench, gate.gated.registry.pid, async () => {
    await forEachConcurrently(layers, PUSH_CONCURRENCY, (layer) => client.pushLayer(repo, filePayload(layer)));
    const pushed = performance.now();
    // The last layer's own moment, next to the artifact's (its polls cost scangate some CPU).
    const lastLayer = layers[layers.length - 1] as LayerFile;
    const blobReady = bench.scanPollMs > 0
      ? pollUntil(`layer ${lastLayer.digest}`, () => blobPullable(client, repo, lastLayer.digest), bench.scanPollMs, bench.timeoutMs)
      : Promise.resolve(Number.NaN);
    blobReady.catch(() => {}); // awaited below; this only keeps a failure from going unhandled meanwhile
    await client.putManifest(repo, tag, MANIFEST_MEDIA_TYPE, docs.manifest);
    const putDone = performance.now();
    const artifactReady = await pollUntil(`${repo}:${tag}`, () => manifestPullable(client, repo, tag), bench.pollMs, bench.timeoutMs);
    return { pushed, putDone, artifactReady, blobReady: await blobReady };
  });
  return {
    seconds: (value.artifactReady - value.pushed) / 1000,
    detail: {
      pushS: (value.pushed - pushStarted) / 1000,
      lastLayerPullableS: (value.blobReady - value.pushed) / 1000,
      manifestPutS: (value.putDone - value.pushed) / 1000,
      ...cpu,
    },
  };
}

/** Scenario 1: one big gzip layer, raw INSTREAM vs end of push to pullable. */
export async function bigLayerRepetition(bench: ScanBench, gate: GateUnderTest, sizes: SizeOptions, repetition: number): Promise<ScanMeasurement[]> {
  const layer = await buildLayer(join(bench.workDir, `big-${repetition}.tar.gz`), { targetBytes: sizes.bigBytes, maxFileBytes: 4 * MIB });
  const common = { repetition, bytes: layer.size };
  try {
    return await inTurn(repetition, [
      async () => {
        const raw = await timeRaw(bench, () => instreamFile(bench.target, layer.path));
        const measured = { ...common, side: 'raw' as const, seconds: raw.seconds, detail: raw.cpu };
        return [{ ...measured, row: 'big-layer' }, { ...measured, row: 'big-artifact' }];
      },
      async () => {
        const pushed = await pushImageTimed(bench, gate, 'bench/scan-big', `rep-${repetition}`, [layer]);
        const side = 'scangate' as const;
        const artifact = { ...common, side, row: 'big-artifact', seconds: pushed.seconds, detail: pushed.detail };
        if (bench.scanPollMs === 0) return [artifact];
        return [{ ...artifact, row: 'big-layer', seconds: pushed.detail.lastLayerPullableS as number }, artifact];
      },
    ]);
  } finally {
    rmSync(layer.path, { force: true });
  }
}

/** Scenario 2: an image of many small layers; raw one after another and `concurrency` at once. */
export async function smallLayersRepetition(bench: ScanBench, gate: GateUnderTest, sizes: SizeOptions, repetition: number): Promise<ScanMeasurement[]> {
  const layers: LayerFile[] = [];
  for (let i = 0; i < sizes.smallCount; i++) {
    const path = join(bench.workDir, `small-${repetition}-${i}.tar.gz`);
    layers.push(await buildLayer(path, { targetBytes: sizes.smallBytes, maxFileBytes: 64 * 1024 }));
  }
  const bytes = layers.reduce((sum, layer) => sum + layer.size, 0);
  const common = { repetition, bytes };
  try {
    return await inTurn(repetition, [
      async () => {
        const raw = await timeRaw(bench, async () => {
          for (const layer of layers) await instreamFile(bench.target, layer.path);
        });
        return [{ ...common, side: 'raw', row: 'small-sequential', seconds: raw.seconds, detail: raw.cpu }];
      },
      async () => {
        const raw = await timeRaw(bench, () =>
          forEachConcurrently(layers, gate.concurrency, async (layer) => void (await instreamFile(bench.target, layer.path))),
        );
        return [{ ...common, side: 'raw', row: 'small-parallel', seconds: raw.seconds, detail: raw.cpu }];
      },
      async () => {
        const pushed = await pushImageTimed(bench, gate, 'bench/scan-small', `rep-${repetition}`, layers);
        const side = 'scangate' as const;
        return ['small-sequential', 'small-parallel'].map((row) => ({ ...common, side, row, seconds: pushed.seconds, detail: pushed.detail }));
      },
    ]);
  } finally {
    for (const layer of layers) rmSync(layer.path, { force: true });
  }
}

/** Scenario 3: many random blobs; raw with `concurrency` connections vs push to all clean. */
export async function throughputRepetition(bench: ScanBench, gate: GateUnderTest, sizes: SizeOptions, repetition: number): Promise<ScanMeasurement[]> {
  const payloads = Array.from({ length: sizes.throughputCount }, () => makePayload(sizes.throughputBytes));
  const bytes = sizes.throughputCount * sizes.throughputBytes;
  const row = `throughput-${gate.concurrency}`;
  return inTurn(repetition, [
    async () => {
      const raw = await timeRaw(bench, () =>
        forEachConcurrently(payloads, gate.concurrency, async (payload) => void (await instream(bench.target, payload.range(0, payload.size)))),
      );
      const perBlobMs = (raw.seconds * 1000 * gate.concurrency) / payloads.length;
      return [{ row, side: 'raw', repetition, bytes, seconds: raw.seconds, detail: { ...raw.cpu, perBlobMs } }];
    },
    async () => {
      const gated = await pushAllUntilClean(bench, gate, payloads, `bench/scan-throughput-${repetition}`);
      return [{ row, side: 'scangate', repetition, bytes, seconds: gated.seconds, detail: gated.detail }];
    },
  ]);
}

/** From the first byte pushed until none is pending and all of them are clean. */
async function pushAllUntilClean(bench: ScanBench, gate: GateUnderTest, payloads: Payload[], repo: string) {
  const { client, gated } = gate;
  const before = await stateCounts(client, gated);
  execFileSync('sync');
  const started = performance.now();
  const { value, cpu } = await withCpu(bench, gated.registry.pid, async () => {
    await forEachConcurrently(payloads, PUSH_CONCURRENCY, (payload) => client.pushLayer(repo, payload));
    const pushed = performance.now();
    const pushedAt = Date.now();
    const allClean = await pollUntil(`${payloads.length} blobs clean`, async () => {
      const counts = await stateCounts(client, gated);
      if (counts.failed + counts.infected > before.failed + before.infected) throw new Error(`scans failed: ${JSON.stringify(counts)}`);
      return counts.pending === 0 && counts.clean >= before.clean + payloads.length;
    }, bench.scanPollMs || bench.pollMs, bench.timeoutMs);
    return { pushed, pushedAt, allClean };
  });
  const jobs = await jobTimings(gate, payloads, value.pushedAt);
  return {
    seconds: (value.allClean - started) / 1000,
    detail: { pushS: (value.pushed - started) / 1000, ...cpu, ...jobs },
  };
}

/**
 * Where a scan job's time goes, from the verdicts scangate recorded: the scanner's own
 * duration (VERSION + INSTREAM, as ClamdScanner measures it) and, with one scan at a time,
 * the gap between one scan's end and the next one's start once every blob was queued
 * (recording the verdict, deciding, completing the job, claiming the next, looking up the
 * verdict cache). Medians, in ms.
 */
async function jobTimings(gate: GateUnderTest, payloads: Payload[], pushedAt: number): Promise<Record<string, number>> {
  const scans: { start: number; end: number }[] = [];
  for (const payload of payloads) {
    const report = (await gate.client.getJson(`/admin/quarantine/${payload.digest}`, gate.gated.adminHeaders)) as {
      verdicts: { scannedAt: string; durationMs: number }[];
    };
    for (const verdict of report.verdicts) {
      const end = Date.parse(verdict.scannedAt);
      scans.push({ start: end - verdict.durationMs, end });
    }
  }
  scans.sort((a, b) => a.start - b.start);
  const timings: Record<string, number> = { scanMs: median(scans.map((scan) => scan.end - scan.start)) };
  if (gate.concurrency === 1) {
    const gaps = scans.slice(1).flatMap((scan, i) => (scan.start > pushedAt ? [scan.start - (scans[i] as { end: number }).end] : []));
    if (gaps.length > 0) timings.gapBetweenScansMs = median(gaps);
  }
  return timings;
}
