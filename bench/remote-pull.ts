// The pull-through cache's cost (issue 5): a cold pull of an image through scangate from an
// upstream docker-registry, against (a) pulling it straight from the upstream and then raw
// clamd INSTREAM of the same bytes, in sequence (target <= 1.2x), and (b) the longer of those
// two alone (target <= 1.2x: what a scan that runs while the bytes arrive would give); and a
// warm pull (cached) against a pull of the same image from a local scangate repository
// (target >= 1.0x, throughput; 6 alternating pulls of each per repetition, medians). Every
// repetition pushes a fresh image upstream, so cold is cold. Same clamd for both sides (its
// cache off). Prints medians and ratios, exits 0.
// Usage: npm run bench:remote -- [--reps N] [--layers N] [--layer-mb N] [--scangate-node-arg ARG]... [--logs DIR]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killBenchClamdSync, startBenchClamd, stopBenchClamd } from './lib/clamd-server.js';
import { RegistryClient } from './lib/oci-client.js';
import { bufferPayload } from './lib/oci-image.js';
import { makePayload, type Payload } from './lib/payload.js';
import { instream, parseTcpAddress, type ClamdTarget } from './lib/raw-clamd.js';
import { median } from './lib/report.js';
import { cpuSeconds } from './lib/rss.js';
import { runGuarded } from './lib/run-guard.js';
import { killAllSync, startDockerRegistry, startScangate, stopAll } from './lib/servers.js';

const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = dirname(benchDir);
const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    layers: { type: 'string', default: '5' },
    'layer-mb': { type: 'string', default: '100' },
    'scangate-node-arg': { type: 'string', multiple: true, default: [] },
    logs: { type: 'string' },
  },
});
const reps = Number(args.reps);
const layerCount = Number(args.layers);
const layerBytes = Number(args['layer-mb']) * 1_000_000;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** scangate's scanning.concurrency, and raw clamd's: both sides scan as many layers at once. */
const SCAN_CONCURRENCY = 2;
/**
 * Warm and local pulls per repetition, alternating which goes first (even: each side first
 * equally often, since the first of two back-to-back pulls measured ~5% slower whichever it
 * was); each side's median is kept.
 */
const WARM_PULLS = 6;

interface Image {
  repository: string;
  config: Buffer;
  configDigest: string;
  layers: Payload[];
  manifest: Buffer;
}

function newImage(repository: string): Image {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, created: new Date().toISOString() }));
  const configDigest = bufferPayload(config).digest;
  const layers = Array.from({ length: layerCount }, () => makePayload(layerBytes));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })),
    }),
  );
  return { repository, config, configDigest, layers, manifest };
}

async function pushImage(client: RegistryClient, image: Image, repository = image.repository): Promise<void> {
  await client.pushMonolithic(repository, bufferPayload(image.config));
  await Promise.all(image.layers.map((layer) => client.pushMonolithic(repository, layer)));
  await client.putManifest(repository, 'v1', MANIFEST, image.manifest);
}

/** Manifest, then every layer at once (as skopeo and containerd do), each retried on 503 + Retry-After. */
async function pullImage(client: RegistryClient, repository: string, image: Image): Promise<void> {
  await retrying(() => client.getJson(`/v2/${repository}/manifests/v1`, { accept: MANIFEST }));
  await Promise.all([
    retrying(() => client.pull(repository, image.configDigest, image.config.length)),
    ...image.layers.map((layer) => retrying(() => client.pull(repository, layer.digest, layer.size))),
  ]);
}

async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      // The gate answers 503 while a fetch and scan outlast its wait: come back, as clients do.
      if (!String(error).includes('503')) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function scanRaw(target: ClamdTarget, image: Image): Promise<void> {
  const queue = [...image.layers];
  const worker = async () => {
    for (let layer = queue.shift(); layer; layer = queue.shift()) await instream(target, layer.range(0, layer.size));
  };
  await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker));
}

/** Wall seconds of `what`, dirty pages flushed first: a push's writeback never lands in a pull's time. */
async function timed(what: () => Promise<unknown>): Promise<number> {
  execFileSync('sync');
  const start = process.hrtime.bigint();
  await what();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The processes whose CPU a step is charged with: on a small machine they share the cores. */
type Parties = Record<'clamd' | 'upstream' | 'scangate', number>;

/** The wall seconds of `what` (as `timed`), and the CPU seconds each party (and this client) used meanwhile. */
async function charged(parties: Parties, what: () => Promise<unknown>): Promise<{ seconds: number; cpu: Record<keyof Parties | 'client', number> }> {
  const before = Object.fromEntries(Object.entries(parties).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const client = process.cpuUsage();
  const seconds = await timed(what);
  const spent = process.cpuUsage(client);
  const used = (name: keyof Parties) => cpuSeconds(parties[name]) - (before[name] ?? 0);
  return { seconds, cpu: { clamd: used('clamd'), upstream: used('upstream'), scangate: used('scangate'), client: (spent.user + spent.system) / 1e6 } };
}

const formatCpu = (cpu: Record<string, number>) =>
  Object.entries(cpu).map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`).join(', ');

interface Rep {
  upstreamPull: number;
  rawScan: number;
  cold: number;
  warm: number;
  local: number;
}

const work = mkdtempSync(join(tmpdir(), 'bench-remote-'));

async function cleanUp(): Promise<void> {
  // --logs DIR keeps the servers' logs (request timings, fetch and scan lines) for a look at why.
  await stopAll(args.logs);
  await stopBenchClamd();
  rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  try {
    const clamd = await startBenchClamd();
    const upstream = await startDockerRegistry('upstream');
    const configFile = join(work, 'scangate.yml');
    writeFileSync(
      configFile,
      [
        'scanning:',
        '  scanners:',
        // scanInPlace: as the managed clamd (the default) does; this one is shared with the raw side.
        `    - { name: clamav, kind: clamd, address: "${clamd.address}", scanInPlace: true }`,
        `  concurrency: ${SCAN_CONCURRENCY}`,
        '  manifestWaitSeconds: 600',
        'remotes:',
        `  - { name: up, kind: oci, url: "${upstream.origin}", policy: on_demand }`,
        '',
      ].join('\n'),
    );
    const scangate = await startScangate('scangate', { repoRoot, nodeArgs: args['scangate-node-arg'] ?? [], configFile });
    const upstreamClient = new RegistryClient(upstream.origin, layerCount + 2);
    const scangateClient = new RegistryClient(scangate.origin, layerCount + 2);
    const target = parseTcpAddress(clamd.address);
    const parties: Parties = { clamd: clamd.pid, upstream: upstream.pid, scangate: scangate.pid };
    const mb = (layerCount * layerBytes) / 1e6;
    console.log(`image: ${layerCount} layers of ${layerBytes / 1e6} MB (${mb} MB); scan concurrency ${SCAN_CONCURRENCY}; ${reps} repetition(s)`);
    const results: Rep[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const image = newImage(`bench/image-${rep}`);
      await pushImage(upstreamClient, image);
      const { seconds: upstreamPull, cpu: pullCpu } = await charged(parties, () => pullImage(upstreamClient, image.repository, image));
      const { seconds: rawScan, cpu: rawCpu } = await charged(parties, () => scanRaw(target, image));
      const { seconds: cold, cpu: coldCpu } = await charged(parties, () => pullImage(scangateClient, `up/${image.repository}`, image));
      // The same bytes pushed to a local repository (the scans are cached by digest). A warm
      // pull takes well under a second, so one of each is mostly noise: WARM_PULLS of each,
      // alternating (and which goes first, too), and the median of each side.
      await pushImage(scangateClient, image, `local/image-${rep}`);
      const warms: number[] = [];
      const locals: number[] = [];
      const pullWarm = async () => warms.push(await timed(() => pullImage(scangateClient, `up/${image.repository}`, image)));
      const pullLocal = async () => locals.push(await timed(() => pullImage(scangateClient, `local/image-${rep}`, image)));
      for (let i = 0; i < WARM_PULLS; i++) {
        for (const pull of i % 2 === 0 ? [pullWarm, pullLocal] : [pullLocal, pullWarm]) await pull();
      }
      const warm = median(warms);
      const local = median(locals);
      results.push({ upstreamPull, rawScan, cold, warm, local });
      console.log(
        `  rep ${rep}  upstream pull ${upstreamPull.toFixed(2)} s  raw clamd ${rawScan.toFixed(2)} s  cold through scangate ${cold.toFixed(2)} s  ` +
          `warm ${warm.toFixed(2)} s  local ${local.toFixed(2)} s`,
      );
      // On a machine with few cores, clamd alone can fill them: the cold pull then takes
      // about the CPU everyone spent divided by the cores, whatever overlaps.
      const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
      console.log(`         CPU seconds, upstream pull: ${formatCpu(pullCpu)} (total ${total(pullCpu).toFixed(1)})`);
      console.log(`         CPU seconds, raw clamd: ${formatCpu(rawCpu)} (total ${total(rawCpu).toFixed(1)})`);
      console.log(`         CPU seconds, cold pull: ${formatCpu(coldCpu)} (total ${total(coldCpu).toFixed(1)}; / ${availableParallelism()} cores = ${(total(coldCpu) / availableParallelism()).toFixed(2)} s)`);
    }
    const m = (pick: (r: Rep) => number) => median(results.map(pick));
    const sequence = m((r) => r.upstreamPull + r.rawScan);
    const longer = m((r) => Math.max(r.upstreamPull, r.rawScan));
    const cold = m((r) => r.cold);
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    console.log('');
    console.log(`cold pull through scangate / (upstream pull + raw clamd, in sequence): ${cold.toFixed(2)} / ${sequence.toFixed(2)} s = ${(cold / sequence).toFixed(2)}  ${verdict(cold / sequence <= 1.2)} (<= 1.2)`);
    console.log(`cold pull through scangate / the longer of the two alone:            ${cold.toFixed(2)} / ${longer.toFixed(2)} s = ${(cold / longer).toFixed(2)}  ${verdict(cold / longer <= 1.2)} (<= 1.2)`);
    const warmRatio = m((r) => r.local / r.warm);
    console.log(`warm pull (cached remote) vs pull from a local repository, throughput:  ${warmRatio.toFixed(2)}  ${verdict(warmRatio >= 1.0)} (>= 1.0)`);
    const [one] = loadavg();
    console.log(`medians of ${reps} repetition(s); load average ${one!.toFixed(1)} on ${availableParallelism()} cores`);
    await upstreamClient.close();
    await scangateClient.close();
  } finally {
    await cleanUp();
  }
}

await runGuarded(
  {
    name: 'bench:remote',
    stopping: 'the registries and clamd',
    deadlineMinutes: 30,
    cleanUp,
    killSync: () => {
      killAllSync();
      killBenchClamdSync();
      rmSync(work, { recursive: true, force: true });
    },
  },
  main,
);
