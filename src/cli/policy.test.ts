// `scangate policy eval` and `policy defaults`, run as the built binary (bin/scangate.js).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runScangate } from '../../test/support/run-scangate.js';
import { defaultRuleMap } from '../policy/defaults.js';

const scangate = (args: string[]) => runScangate(args);

let dir: string;
let glanceJson: string;
let glanceYaml: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-policy-cli-'));
  glanceJson = join(dir, 'policy.json');
  glanceYaml = join(dir, 'policy.yaml');
  await writeFile(glanceJson, JSON.stringify({
    restricted: "not ('ntt_3251':%(x_billing_code_ntt)s and role:member)",
    download_image: 'role:admin or rule:restricted',
    broken: 'role:admin and',
  }));
  await writeFile(glanceYaml, [
    '# Glance-style, as YAML',
    `"restricted": "not ('ntt_3251':%(x_billing_code_ntt)s and role:member)"`,
    '"download_image": "role:admin or rule:restricted"',
    'pull: role:reader or role:%(owner_role)s',
  ].join('\n'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const member = JSON.stringify({ roles: ['Member'] });
const billed = JSON.stringify({ x_billing_code_ntt: 'ntt_3251' });

describe('scangate policy eval', () => {
  it('denies with exit 3 and names the rule and the failing check', async () => {
    const run = await scangate(['policy', 'eval', '--rules', glanceJson, '--rule', 'download_image', '--target', billed, '--creds', member]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^deny\ndenied by rule "download_image": .*rule:restricted -> not \('ntt_3251':%\(x_billing_code_ntt\)s and role:member\)/);
    expect(run.stderr).toMatch(/rule "broken": cannot parse/); // problems are reported at load
  });

  it('allows with exit 0, from a YAML file too', async () => {
    const admin = await scangate(['policy', 'eval', '--rules', glanceYaml, '--rule', 'download_image', '--target', billed, '--creds', '{"roles":["admin"]}']);
    expect([admin.code, admin.stdout]).toEqual([0, 'allow\nallowed by rule "download_image"\n']);
    const pull = await scangate(['policy', 'eval', '--rules', glanceYaml, '--rule', 'pull', '--target', '{"owner_role":"member"}', '--creds', member]);
    expect(pull.code).toBe(0);
  });

  it('takes rule text and the defaults without a rules file', async () => {
    expect((await scangate(['policy', 'eval', '--rule', 'role:admin or not role:reader', '--creds', member])).code).toBe(0);
    expect((await scangate(['policy', 'eval', '--rule', 'push', '--creds', '{"roles":["reader"]}'])).code).toBe(3);
    expect((await scangate(['policy', 'eval', '--rule', 'push', '--creds', '{"roles":["MAINTAINER"]}'])).code).toBe(0);
  });

  it.each([
    [['--rule', 'pull', '--target', '{nope'], /--target is not valid JSON/],
    [['--rule', 'pull', '--creds', '[]'], /--creds must be a JSON object/],
    [['--rule', 'pull', '--rules', '/nonexistent/policy.yaml'], /cannot read policy file/],
    [['--target', '{}'], /give --rule/],
    [['--rule', 'pull', '--bogus'], /unknown option/],
  ])('exits 2 on bad input %j', async (args, message) => {
    const run = await scangate(['policy', 'eval', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 on a policy file that is not a mapping', async () => {
    const list = join(dir, 'list.yaml');
    await writeFile(list, '- role:admin\n');
    const run = await scangate(['policy', 'eval', '--rules', list, '--rule', 'pull']);
    expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/must map rule names to rules/)]);
  });

  it('decides --cases line by line', async () => {
    const cases = join(dir, 'cases.jsonl');
    await writeFile(cases, [
      { rule: 'download_image', target: { x_billing_code_ntt: 'ntt_3251' }, creds: { roles: ['member'] } },
      { rule: 'download_image', target: { x_billing_code_ntt: 'ntt_1' }, creds: { roles: ['member'] } },
      { rule: '@' },
    ].map((c) => JSON.stringify(c)).join('\n') + '\n');
    const run = await scangate(['policy', 'eval', '--rules', glanceJson, '--cases', cases]);
    expect([run.code, run.stdout]).toEqual([3, 'deny\nallow\nallow\n']);
    await writeFile(cases, '{"rule":"@"}\nnot json\n{"rule":"@","target":[]}\n');
    const bad = await scangate(['policy', 'eval', '--cases', cases, '--reasons']);
    expect(bad.code).toBe(2);
    expect(bad.stdout.split('\n').map((line) => line.split('\t')[0])).toEqual(['allow', 'deny', 'deny', '']);
    expect(bad.stderr).toMatch(/cases\.jsonl:2: the line is not valid JSON/);
  });
});

describe('scangate policy defaults', () => {
  it('prints the defaults as YAML that loads back to the same rules', async () => {
    const run = await scangate(['policy', 'defaults']);
    expect(run.code).toBe(0);
    expect(parseYaml(run.stdout)).toEqual(defaultRuleMap());
    expect(run.stdout).toContain('# Download manifests and blobs');
  });
});
