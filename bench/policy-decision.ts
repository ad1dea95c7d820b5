// The cost of one policy decision: scangate's defaults plus a Glance-like policy file,
// decided in process over a mix of allowed and denied requests (denials include building
// the reason). Prints the median µs per decision over many rounds, per case and for the
// mix, and PASS/MISS against the 20 µs target. Exits 0 whatever the figures.
// Usage: npm run bench:policy -- [--rounds N] [--per-round N]
import { parseArgs } from 'node:util';
import { buildTarget, policyWithDefaults } from '../src/policy/index.js';

const targetMicros = 20;

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '31' }, 'per-round': { type: 'string', default: '20000' } },
});

const engine = policyWithDefaults({
  restricted: "not ('ntt_3251':%(x_billing_code_ntt)s and role:member)",
  download_image: 'role:admin or rule:restricted',
  pull: 'rule:is_reader and rule:download_image',
  owner_only: 'rule:is_admin or user_id:%(properties.owner)s',
  delete: 'rule:is_maintainer and rule:owner_only',
  context_is_admin: 'role:admin',
  publicize_image: 'role:admin and not project_id:%(namespace)s',
});
if (engine.problems.length > 0) throw new Error(`benchmark rules have problems: ${JSON.stringify(engine.problems)}`);

const billed = buildTarget({
  namespace: 'lib',
  repository: 'lib/app',
  tag: 'v1',
  digest: `sha256:${'ab'.repeat(32)}`,
  scanState: 'clean',
  vulnerabilities: { critical: 0, high: 2, medium: 7, low: 11, unknown: 0 },
  properties: { x_billing_code_ntt: 'ntt_3251', owner: 'alice', 'org.opencontainers.image.source': 'https://example.com/app' },
});
const unbilled = buildTarget({ namespace: 'lib', repository: 'lib/app', tag: 'v2', scanState: 'clean', properties: { owner: 'bob' } });

interface BenchCase {
  name: string;
  rule: string;
  target: Record<string, unknown>;
  creds: Record<string, unknown>;
  expect: boolean;
}

const cases: BenchCase[] = [
  { name: 'pull, reader, unbilled (allow)', rule: 'pull', target: unbilled, creds: { user_id: 'rita', roles: ['reader'] }, expect: true },
  { name: 'pull, member, billed (deny)', rule: 'pull', target: billed, creds: { user_id: 'mo', roles: ['Member'] }, expect: false },
  { name: 'download_image, admin (allow)', rule: 'download_image', target: billed, creds: { user_id: 'root', roles: ['admin'] }, expect: true },
  { name: 'push, reader (deny)', rule: 'push', target: unbilled, creds: { user_id: 'rita', roles: ['reader'] }, expect: false },
  { name: 'delete, maintainer owner (allow)', rule: 'delete', target: billed, creds: { user_id: 'alice', roles: ['maintainer'] }, expect: true },
  { name: 'delete, maintainer other (deny)', rule: 'delete', target: billed, creds: { user_id: 'eve', roles: ['maintainer'] }, expect: false },
  { name: 'set_property, member (deny)', rule: 'set_property', target: billed, creds: { user_id: 'mo', roles: ['member'] }, expect: false },
  { name: 'ad-hoc expression (allow)', rule: "role:admin or (role:member and not 'x':%(tag)s)", target: unbilled, creds: { roles: ['member'] }, expect: true },
];

for (const c of cases) {
  const decision = engine.decide(c.rule, c.target, c.creds);
  if (decision.allowed !== c.expect) throw new Error(`${c.name}: expected ${c.expect ? 'allow' : 'deny'}, got ${decision.reason}`);
}

/** Median µs per decision over `rounds` rounds of `perRound` decisions cycling through `set`. */
function medianMicros(set: BenchCase[], rounds: number, perRound: number): number {
  let sink = 0;
  const samples: number[] = [];
  for (let round = -3; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) {
      const c = set[i % set.length] as BenchCase;
      if (engine.decide(c.rule, c.target, c.creds).allowed) sink++;
    }
    const micros = Number(process.hrtime.bigint() - started) / 1000 / perRound;
    if (round >= 0) samples.push(micros); // the first rounds warm the JIT up
  }
  if (sink < 0) console.log(sink);
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

const rounds = Number(args.rounds);
const perRound = Number(args['per-round']);
const rows = cases.map((c) => [c.name, medianMicros([c], rounds, perRound)] as const);
const mix = medianMicros(cases, rounds, perRound);
const width = Math.max(...cases.map((c) => c.name.length), 20);
console.log(`policy decision: ${engine.ruleNames().length} rules, median of ${rounds} rounds x ${perRound} decisions\n`);
for (const [name, micros] of rows) console.log(`  ${name.padEnd(width)}  ${micros.toFixed(3).padStart(8)} µs/decision`);
console.log(`  ${'mix of all cases'.padEnd(width)}  ${mix.toFixed(3).padStart(8)} µs/decision\n`);
const worst = Math.max(mix, ...rows.map(([, micros]) => micros));
console.log(`${worst <= targetMicros ? 'PASS' : 'MISS'}: worst median ${worst.toFixed(3)} µs/decision (target <= ${targetMicros} µs)`);
