// scangate's rule engine against OpenStack's own oslo.policy (Debian python3-oslo.policy,
// run with /usr/bin/python3): the same generated cases, decided by both, must agree one
// by one. oslo raising an exception counts as a denial, and scangate must say the same
// case "cannot be evaluated" (an error is not a plain false: it escapes `not` and `or`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from './engine.js';
import { generateCases, type PolicyCase } from './testing/case-generator.js';

const python = '/usr/bin/python3';
const driver = fileURLToPath(new URL('../../test/fixtures/oslo-policy/decide.py', import.meta.url));
const osloInstalled = spawnSync(python, ['-c', 'import oslo_policy'], { stdio: 'ignore' }).status === 0;

type Verdict = 'allow' | 'deny' | 'error';

function decideWithOslo(cases: PolicyCase[]): Verdict[] {
  const input = cases.map((c) => JSON.stringify(c)).join('\n') + '\n';
  const run = spawnSync(python, [driver], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`oslo driver failed (${run.status}): ${run.stderr}`);
  return run.stdout.trim().split('\n').map((line) => (line.startsWith('error') ? 'error' : (line as Verdict)));
}

function decideWithScangate(policyCase: PolicyCase): Verdict {
  const decision = new PolicyEngine(policyCase.rules).decide(policyCase.rule, policyCase.target, policyCase.creds);
  if (decision.allowed) return 'allow';
  return decision.reason.includes('cannot be evaluated') ? 'error' : 'deny';
}

describe.skipIf(!osloInstalled)('scangate decides as oslo.policy does', () => {
  it.each([1, 2, 3, 4, 5])('agrees on 400 generated cases (seed %i)', (seed) => {
    const cases = generateCases(seed, 400);
    const oslo = decideWithOslo(cases);
    expect(oslo).toHaveLength(cases.length);
    const disagreements = cases.flatMap((policyCase, i) => {
      const ours = decideWithScangate(policyCase);
      return ours === oslo[i] ? [] : [{ index: i, oslo: oslo[i], scangate: ours, case: policyCase }];
    });
    const tally = (v: Verdict) => oslo.filter((o) => o === v).length;
    console.log(`seed ${seed}: ${cases.length} cases, allow ${tally('allow')}, deny ${tally('deny')}, error ${tally('error')}; ${disagreements.length} disagreements`);
    for (const d of disagreements.slice(0, 5)) console.log(JSON.stringify(d));
    expect(disagreements.slice(0, 5)).toEqual([]);
  });
});

it.runIf(!osloInstalled)('needs python3-oslo.policy (scripts/setup.sh --for-tests installs it)', () => {
  expect(existsSync(python), `${python} is missing`).toBe(true);
  expect.fail('python3-oslo.policy is not installed: the differential test cannot run');
});
