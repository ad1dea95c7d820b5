// `scangate robot ...` run as the built binary against a temporary SQLite data directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseApiToken, tokenSecretMatches } from '../../auth/api-tokens.js';
import { identityCli, jsonOutput, textOutput, type IdentityCli } from './testing/cli.js';

let cli: IdentityCli;
beforeEach(async () => {
  cli = await identityCli();
  expect((await cli.run(['user', 'add', 'bob'])).code).toBe(0);
});
afterEach(() => cli.remove());

/** Whether `token` is the robot's current token, checked against the stored hash. */
async function tokenWorks(name: string, token: string): Promise<{ works: boolean; expiresAt: Date | null }> {
  const { store, close } = await cli.openStore();
  try {
    const robot = await store.findRobotByName(name);
    const parsed = parseApiToken(token);
    const works = robot !== undefined && parsed?.robotId === robot.id && tokenSecretMatches(parsed.secret, robot.tokenHash);
    return { works, expiresAt: robot?.expiresAt ?? null };
  } finally {
    await close();
  }
}

const day = 86_400_000;

describe('scangate robot add', () => {
  it('prints the token alone on stdout, once, with a warning on stderr; --expires takes a duration', async () => {
    const before = Date.now();
    const run = await cli.run(['robot', 'add', 'ci', '--owner', 'bob', '--description', 'CI pushes', '--expires', '90d']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sgr_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}\n$/);
    expect(run.stderr).toMatch(/Created robot ci owned by bob \(expires 20\d\d-.*\); its token:\n.*shown only now and cannot be shown again/);
    const { works, expiresAt } = await tokenWorks('ci', run.stdout.trim());
    expect(works).toBe(true);
    expect(expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 90 * day - 1000);
    expect(expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 90 * day + 1000);
  });

  it('takes an ISO date for --expires, and no --expires means never', async () => {
    expect((await cli.run(['robot', 'add', 'dated', '--owner', 'bob', '--expires', '2099-01-31'])).code).toBe(0);
    expect((await tokenWorks('dated', '')).expiresAt?.toISOString()).toBe('2099-01-31T00:00:00.000Z');
    const forever = await cli.run(['robot', 'add', 'forever', '--owner', 'bob']);
    expect(forever.stderr).toMatch(/never expires/);
    expect((await tokenWorks('forever', forever.stdout.trim())).expiresAt).toBeNull();
  });

  it.each([
    [['--owner', 'bob', '--expires', '9x'], 2, /bad duration "9x" for --expires/],
    [['--owner', 'bob', '--expires', '2001-01-01'], 2, /--expires 2001-01-01 lies in the past/],
    [['--owner', 'bob', '--expires', 'tomorrow'], 2, /bad duration "tomorrow"/],
    [[], 2, /required option '--owner <user>' not specified/],
    [['--owner', 'nobody'], 1, /^scangate: unknown user "nobody"\n$/],
    [['--owner', 'Bob'], 2, /invalid user or robot name "Bob"/],
  ])('refuses %j with exit %i', async (flags, code, message) => {
    const run = await cli.run(['robot', 'add', 'ci', ...flags]);
    expect([run.code, run.stdout]).toEqual([code, '']);
    expect(run.stderr).toMatch(message);
  });

  it('exits 1 when the robot name is taken, 2 when it is malformed', async () => {
    await cli.run(['robot', 'add', 'ci', '--owner', 'bob']);
    expect(await cli.run(['robot', 'add', 'ci', '--owner', 'bob'])).toMatchObject({ code: 1, stdout: '', stderr: 'scangate: robot ci exists already\n' });
    expect(await cli.run(['robot', 'add', 'CI', '--owner', 'bob'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/invalid user or robot name "CI"/) });
  });
});

describe('scangate robot list, regenerate, delete', () => {
  it('lists robots without their tokens, as a table and as JSON', async () => {
    const token = (await cli.run(['robot', 'add', 'ci', '--owner', 'bob', '--description', 'CI pushes'])).stdout.trim();
    await cli.run(['role', 'bind', '--robot', 'ci', '--namespace', 'team', '--role', 'maintainer']);
    const table = await cli.run(['robot', 'list']);
    expect(textOutput(table).split('\n').slice(0, 2)).toEqual([
      'NAME  OWNER  EXPIRES  LAST USED  ROLES            DESCRIPTION',
      'ci    bob    -        -          team:maintainer  CI pushes',
    ]);
    const json = jsonOutput(await cli.run(['robot', 'list', '--owner', 'bob', '--json'])) as Record<string, unknown>[];
    expect(json).toEqual([
      { name: 'ci', owner: 'bob', description: 'CI pushes', roles: [{ namespace: 'team', role: 'maintainer' }], expiresAt: null, lastUsedAt: null, createdAt: expect.any(String) },
    ]);
    expect(JSON.stringify(json) + table.stdout).not.toContain(parseApiToken(token)!.secret);
    expect(await cli.run(['robot', 'list', '--owner', 'nobody'])).toMatchObject({ code: 1 });
  });

  it('regenerates: the old token stops working, the new one works and keeps the expiry', async () => {
    const old = (await cli.run(['robot', 'add', 'ci', '--owner', 'bob', '--expires', '30d'])).stdout.trim();
    const { expiresAt } = await tokenWorks('ci', old);
    const run = await cli.run(['robot', 'regenerate', 'ci']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/the old token no longer works/);
    const fresh = run.stdout.trim();
    expect(fresh).not.toBe(old);
    expect(await tokenWorks('ci', old)).toMatchObject({ works: false });
    expect(await tokenWorks('ci', fresh)).toEqual({ works: true, expiresAt });
    const longer = await cli.run(['robot', 'regenerate', 'ci', '--expires', '1y']);
    expect((await tokenWorks('ci', longer.stdout.trim())).expiresAt!.getTime()).toBeGreaterThan(Date.now() + 364 * day);
  });

  it('refuses to regenerate with an expiry that has passed unless --expires is given', async () => {
    await cli.run(['robot', 'add', 'ci', '--owner', 'bob', '--expires', '2099-01-01']);
    const { store, close } = await cli.openStore();
    const robot = (await store.findRobotByName('ci'))!;
    await store.setRobotToken(robot.id, robot.tokenHash, new Date(Date.now() - day));
    await close();
    expect(await cli.run(['robot', 'regenerate', 'ci'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/expired at .*: give the new token an expiry/) });
    expect(await cli.run(['robot', 'regenerate', 'ci', '--expires', '12h'])).toMatchObject({ code: 0 });
  });

  it('deletes a robot with its bindings; unknown robots exit 1', async () => {
    const token = (await cli.run(['robot', 'add', 'ci', '--owner', 'bob'])).stdout.trim();
    await cli.run(['role', 'bind', '--robot', 'ci', '--namespace', 'team', '--role', 'reader']);
    expect(await cli.run(['robot', 'delete', 'ci'])).toMatchObject({ code: 0, stdout: 'deleted robot ci\n' });
    expect(await tokenWorks('ci', token)).toMatchObject({ works: false });
    expect(jsonOutput(await cli.run(['role', 'list', '--json']))).toEqual([]);
    for (const verb of ['delete', 'regenerate']) {
      expect(await cli.run(['robot', verb, 'ci'])).toMatchObject({ code: 1, stderr: 'scangate: unknown robot "ci"\n' });
    }
  });
});
