// `scangate policy check` against a real data directory: users, a manifest with a property
// and a vulnerability gate written through the same composition the server uses, then the
// built binary explains allow and deny, and refuses bad input with exit 2.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScangate } from '../../test/support/run-scangate.js';
import { hashPassword } from '../auth/passwords.js';
import { composeMigrated } from '../compose.js';
import { loadConfig } from '../config/load.js';
import { newManifest } from '../metadata/testing/fixtures.js';
import { glanceRules } from '../policy/testing/glance.js';
import { parseArtifactRef } from './policy-check.js';

let dir: string;
let configFile: string;
const image = newManifest('billing/app', 'restricted-image');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scangate-policy-check-'));
  const policyFile = join(dir, 'policy.json');
  await writeFile(
    policyFile,
    JSON.stringify({ ...glanceRules, pull: 'rule:is_reader and rule:download_image' }),
  );
  configFile = join(dir, 'scangate.yaml');
  await writeFile(configFile, `data: ${JSON.stringify(join(dir, 'data'))}\nstorage: { driver: filesystem, fsync: false }\nauth: { policyFile: ${JSON.stringify(policyFile)} }\n`);
  const { config } = await loadConfig({ flags: { config: configFile }, env: {} });
  const services = await composeMigrated(config);
  try {
    const passwordHash = await hashPassword('irrelevant-password');
    await services.identity.createUser({ name: 'mia', passwordHash }, [{ namespace: 'billing', role: 'member' }]);
    await services.identity.createUser({ name: 'boss', passwordHash }, [{ namespace: '*', role: 'admin' }]);
    await services.metadata.putManifest(image, 'restricted');
    await services.properties.update({ kind: 'artifact', repository: 'billing/app', digest: image.digest }, 'user:boss', () => ({ writes: { set: { x_billing_code_ntt: 'ntt_3251' }, remove: [] }, result: true }));
  } finally {
    await services.close();
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const check = (...args: string[]) => runScangate(['policy', 'check', '--config', configFile, ...args]);

describe('scangate policy check', () => {
  it('explains a denial: the roles, the rule and the failing check, with exit 3', async () => {
    const run = await check('--user', 'mia', '--action', 'pull', '--artifact', 'billing/app:restricted');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/^deny\n/);
    expect(run.stdout).toContain('caller:   user:mia (roles in this namespace: member)');
    expect(run.stdout).toContain(`-> ${image.digest}`);
    expect(run.stdout).toContain("denied by rule \"pull\"");
    expect(run.stdout).toContain('"x_billing_code_ntt":"ntt_3251"');
  });

  it('explains an allow with exit 0, by digest too, and as JSON', async () => {
    const run = await check('--user', 'boss', '--action', 'pull', '--artifact', `billing/app@${image.digest}`, '--json');
    expect(run.code, run.stderr).toBe(0);
    const explained = JSON.parse(run.stdout);
    expect(explained).toMatchObject({ verdict: 'allow', caller: 'user:boss', roles: ['admin'], digest: image.digest, gate: { allowed: true } });
    expect(explained.policy.reason).toBe('allowed by rule "pull"');
  });

  it('decides repository-level actions from the name alone', async () => {
    expect((await check('--user', 'mia', '--action', 'push', '--artifact', 'billing/app')).code).toBe(0);
    expect((await check('--user', 'mia', '--action', 'delete', '--artifact', 'billing/app')).code).toBe(3);
    expect((await check('--user', 'anonymous', '--action', 'pull', '--artifact', 'billing/app')).code).toBe(3);
  });

  it('answers bad input with exit 2 and says what is wrong', async () => {
    const cases: [string[], string][] = [
      [['--user', 'nobody', '--action', 'pull', '--artifact', 'billing/app:restricted'], 'no user named nobody'],
      [['--user', 'robot:ghost', '--action', 'pull', '--artifact', 'billing/app'], 'no robot account named ghost'],
      [['--user', 'mia', '--action', 'pull', '--artifact', 'billing/app:missing'], 'no manifest missing in billing/app'],
      [['--user', 'mia', '--action', 'pull', '--artifact', 'Bad Name'], 'not a valid repository name'],
      [['--user', 'mia', '--action', 'pull'], "required option '--artifact"],
    ];
    for (const [args, says] of cases) {
      const run = await check(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(says);
    }
  });
});

describe('parseArtifactRef', () => {
  it('reads NAME, NAME:TAG and NAME@DIGEST, with ports and nested names', () => {
    expect(parseArtifactRef('a/b')).toEqual({ repository: 'a/b' });
    expect(parseArtifactRef('a/b:v1.0')).toEqual({ repository: 'a/b', reference: 'v1.0' });
    expect(parseArtifactRef(`a/b@${image.digest}`)).toEqual({ repository: 'a/b', reference: image.digest });
    expect(() => parseArtifactRef('a/b@sha256:nothex')).toThrow('not a digest');
    expect(() => parseArtifactRef('a/b:bad tag')).toThrow('not a valid tag');
  });
});
