// `scangate role ...` and `scangate keys ...` run as the built binary against a temporary
// SQLite data directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryTokenService } from '../../auth/token-service.js';
import { SqlIdentityStore } from '../../metadata/sql-identity-store.js';
import { openDatabase } from '../../metadata/database.js';
import { migrateToLatest } from '../../metadata/migrations/index.js';
import { identityCli, jsonOutput, textOutput, type IdentityCli } from './testing/cli.js';

let cli: IdentityCli;
beforeEach(async () => {
  cli = await identityCli();
});
afterEach(() => cli.remove());

describe('scangate role bind, unbind, list', () => {
  beforeEach(async () => {
    expect((await cli.run(['user', 'add', 'bob'])).code).toBe(0);
    expect((await cli.run(['robot', 'add', 'ci', '--owner', 'bob'])).code).toBe(0);
  });

  it('binds and unbinds roles of users and robots; binding twice is no error, unbinding nothing is', async () => {
    expect(await cli.run(['role', 'bind', '--user', 'bob', '--namespace', '*', '--role', 'reader'])).toMatchObject({ code: 0, stdout: 'user bob now has role reader in *\n' });
    expect(await cli.run(['role', 'bind', '--user', 'bob', '--namespace', '*', '--role', 'reader'])).toMatchObject({ code: 0, stdout: 'user bob had role reader in * already\n' });
    await cli.run(['role', 'bind', '--robot', 'ci', '--namespace', 'team', '--role', 'maintainer']);
    await cli.run(['role', 'bind', '--user', 'bob', '--namespace', 'team', '--role', 'member']);
    const table = textOutput(await cli.run(['role', 'list'])).split('\n');
    expect(table.slice(0, 4)).toEqual(['KIND   NAME  NAMESPACE  ROLE', 'robot  ci    team       maintainer', 'user   bob   *          reader', 'user   bob   team       member']);
    expect(jsonOutput(await cli.run(['role', 'list', '--robot', 'ci', '--json']))).toEqual([{ kind: 'robot', name: 'ci', namespace: 'team', role: 'maintainer' }]);

    expect(await cli.run(['role', 'unbind', '--user', 'bob', '--namespace', '*', '--role', 'reader'])).toMatchObject({ code: 0, stdout: 'user bob no longer has role reader in *\n' });
    expect(await cli.run(['role', 'unbind', '--user', 'bob', '--namespace', '*', '--role', 'reader'])).toMatchObject({ code: 1, stderr: 'scangate: user bob has no role reader in *\n' });
    expect(jsonOutput(await cli.run(['role', 'list', '--user', 'bob', '--json']))).toEqual([{ kind: 'user', name: 'bob', namespace: 'team', role: 'member' }]);
  });

  it.each([
    [['bind', '--user', 'bob', '--robot', 'ci', '--namespace', 'team', '--role', 'reader'], 2, /give exactly one of --user NAME and --robot NAME/],
    [['bind', '--namespace', 'team', '--role', 'reader'], 2, /give exactly one of --user/],
    [['bind', '--user', 'bob', '--role', 'reader'], 2, /required option '--namespace <ns>' not specified/],
    [['bind', '--user', 'bob', '--namespace', 'Team', '--role', 'reader'], 2, /invalid namespace name "Team"/],
    [['bind', '--user', 'bob', '--namespace', 'team', '--role', '9lives'], 2, /invalid role name "9lives"/],
    [['bind', '--robot', 'nobody', '--namespace', 'team', '--role', 'reader'], 1, /^scangate: unknown robot "nobody"\n$/],
    [['unbind', '--user', 'nobody', '--namespace', 'team', '--role', 'reader'], 1, /^scangate: unknown user "nobody"\n$/],
    [['list', '--user', 'nobody'], 1, /unknown user "nobody"/],
    [['list', '--user', 'bob', '--robot', 'ci'], 2, /give exactly one of/],
  ])('refuses %j with exit %i', async (args, code, message) => {
    const run = await cli.run(['role', ...args]);
    expect([run.code, run.stdout]).toEqual([code, '']);
    expect(run.stderr).toMatch(message);
  });
});

describe('scangate keys rotate, list, prune', () => {
  it('rotates: one current key, the retired ones listed with when they stop verifying', async () => {
    expect(textOutput(await cli.run(['keys', 'list']))).toBe('KID  ALG  CREATED  RETIRED  CURRENT  VERIFIES UNTIL\n');
    const first = await cli.run(['keys', 'rotate']);
    expect(first.stdout).toMatch(/^new current signing key [A-Za-z0-9_-]{43} \(EdDSA\)\n$/);
    const second = await cli.run(['keys', 'rotate']);
    const [firstKid, secondKid] = [first, second].map((run) => /key (\S+)/.exec(run.stdout)![1]);
    const keys = jsonOutput(await cli.run(['keys', 'list', '--json'])) as Record<string, unknown>[];
    expect(keys.map((key) => [key['kid'], key['algorithm'], key['current']])).toEqual([
      [secondKid, 'EdDSA', true],
      [firstKid, 'EdDSA', false],
    ]);
    expect(keys[0]).toMatchObject({ retiredAt: null, verifiesUntil: null });
    expect(Date.parse(keys[1]!['verifiesUntil'] as string) - Date.parse(keys[1]!['retiredAt'] as string)).toBeGreaterThan(3600_000);
    expect(JSON.stringify(keys)).not.toMatch(/"d"|private/i);
    const table = textOutput(await cli.run(['keys', 'list'])).split('\n');
    expect(table[1]).toMatch(new RegExp(`^${secondKid}\\s+EdDSA\\s+\\S+Z\\s+-\\s+yes\\s+-$`));
    expect(table[2]).toMatch(new RegExp(`^${firstKid}\\s+EdDSA\\s+\\S+Z\\s+\\S+Z\\s+no\\s+\\S+Z$`));
  });

  it('prunes only keys retired longer ago than the grace period', async () => {
    // Two rotations two hours ago (a clock in the past), then one now: the oldest key was
    // retired two hours ago, past the grace; the one retired now is kept.
    const db = openDatabase({ driver: 'sqlite' }, cli.dataDir);
    await migrateToLatest(db, 'sqlite');
    const twoHoursAgo = () => new Date(Date.now() - 2 * 3600_000);
    const past = new RegistryTokenService(new SqlIdentityStore(db, { clock: twoHoursAgo }), { issuer: 'test' });
    await past.rotate();
    await past.rotate();
    await db.destroy();
    expect((await cli.run(['keys', 'rotate'])).code).toBe(0);
    expect(await cli.run(['keys', 'prune'])).toMatchObject({ code: 0, stdout: 'pruned 1 retired signing key\n' });
    expect((jsonOutput(await cli.run(['keys', 'list', '--json'])) as unknown[]).length).toBe(2);
    expect(await cli.run(['keys', 'prune'])).toMatchObject({ code: 0, stdout: 'pruned 0 retired signing keys\n' });
  });

  it('exits 2 on an unknown subcommand or option', async () => {
    expect((await cli.run(['keys', 'rotate', '--now'])).code).toBe(2);
    expect((await cli.run(['keys', 'delete'])).code).toBe(2);
  });
});
