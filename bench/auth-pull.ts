// Pull throughput with identity and policy on against off (issue 4's target: >= 0.95x).
// Two scangates (no scan gate, one with auth), the same blobs in each, then GETs of them:
// many small blobs at concurrency 8 (per-request cost: one JWT verification each) and one
// big blob (streaming cost). Auth on pulls with a Bearer token fetched once from /token,
// as clients do. Alternating order, median of the repetitions; exits 0 whatever the figures.
// Usage: tsc -p bench/tsconfig.json && node bench/.build/bench/auth-pull.js [--reps N] [--small N] [--big-mib N]
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { runGuarded } from './lib/run-guard.js';
import { killAllSync, startScangate, stopAll, type RunningRegistry } from './lib/servers.js';

const MIB = 1024 * 1024;
const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = dirname(benchDir);
const { values: args } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, small: { type: 'string', default: '400' }, 'big-mib': { type: 'string', default: '256' } },
});
const repository = 'bench/pull';

interface Side {
  registry: RunningRegistry;
  headers: Record<string, string>;
}

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function sideFor(registry: RunningRegistry, auth: boolean): Promise<Side> {
  if (!auth) return { registry, headers: {} };
  const password = readFileSync(join(registry.dir, 'data', 'initial-admin-password'), 'utf8').trim();
  const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const res = await request(`${registry.origin}/token?service=scangate&scope=repository:${repository}:pull,push`, { headers: { authorization: basic } });
  if (res.statusCode !== 200) throw new Error(`/token answered ${res.statusCode}: ${await res.body.text()}`);
  const { token } = (await res.body.json()) as { token: string };
  return { registry, headers: { authorization: `Bearer ${token}` } };
}

async function push(side: Side, bytes: Buffer): Promise<void> {
  const url = `${side.registry.origin}/v2/${repository}/blobs/uploads/?digest=${digestOf(bytes)}`;
  const res = await request(url, { method: 'POST', headers: { ...side.headers, 'content-type': 'application/octet-stream' }, body: bytes });
  await res.body.dump();
  if (res.statusCode !== 201) throw new Error(`push answered ${res.statusCode}`);
}

async function pull(side: Side, digest: string): Promise<number> {
  const res = await request(`${side.registry.origin}/v2/${repository}/blobs/${digest}`, { headers: side.headers });
  if (res.statusCode !== 200) throw new Error(`pull answered ${res.statusCode}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  return bytes;
}

/** Pulls every digest `rounds` times with `concurrency` in flight; returns MB/s and requests/s. */
async function pullAll(side: Side, digests: string[], concurrency: number): Promise<{ mbps: number; rps: number }> {
  const started = process.hrtime.bigint();
  let next = 0;
  let bytes = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < digests.length) bytes += await pull(side, digests[next++]!);
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { mbps: bytes / 1e6 / seconds, rps: digests.length / seconds };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const off = await sideFor(await startScangate('auth-off', { repoRoot, nodeArgs: [] }), false);
  const on = await sideFor(await startScangate('auth-on', { repoRoot, nodeArgs: [], auth: true }), true);
  const small = Array.from({ length: Number(args.small) }, () => randomBytes(64 * 1024));
  const big = randomBytes(Number(args['big-mib']) * MIB);
  for (const side of [off, on]) for (const bytes of [...small, big]) await push(side, bytes);
  const smallDigests = small.map(digestOf);
  const results = { off: { small: [] as number[], big: [] as number[] }, on: { small: [] as number[], big: [] as number[] } };
  for (let rep = 1; rep <= Number(args.reps); rep++) {
    for (const [name, side] of (rep % 2 === 1 ? [['off', off], ['on', on]] : [['on', on], ['off', off]]) as [keyof typeof results, Side][]) {
      const s = await pullAll(side, smallDigests, 8);
      const b = await pullAll(side, [digestOf(big)], 1);
      results[name].small.push(s.rps);
      results[name].big.push(b.mbps);
      console.log(`  rep ${rep} auth ${name.padEnd(3)}  64 KiB blobs ${s.rps.toFixed(0).padStart(6)} req/s  ${args['big-mib']} MiB blob ${b.mbps.toFixed(0).padStart(5)} MB/s`);
    }
  }
  const ratio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(3);
  console.log(`\nmedian 64 KiB pulls: off ${median(results.off.small).toFixed(0)} req/s, on ${median(results.on.small).toFixed(0)} req/s -> on/off ${ratio(results.on.small, results.off.small)}`);
  console.log(`median big pull:     off ${median(results.off.big).toFixed(0)} MB/s, on ${median(results.on.big).toFixed(0)} MB/s -> on/off ${ratio(results.on.big, results.off.big)}`);
}

await runGuarded({ name: 'bench:auth', stopping: 'the registries', cleanUp: () => stopAll(), killSync: killAllSync }, main);
