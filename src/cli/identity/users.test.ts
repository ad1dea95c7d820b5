// `scangate user ...` run as the built binary against a temporary SQLite data directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../auth/passwords.js';
import { identityCli, jsonOutput, textOutput, type IdentityCli } from './testing/cli.js';

let cli: IdentityCli;
beforeEach(async () => {
  cli = await identityCli();
});
afterEach(() => cli.remove());

async function passwordWorks(name: string, password: string): Promise<boolean> {
  const { store, close } = await cli.openStore();
  try {
    const user = await store.findUserByName(name);
    return user !== undefined && (await verifyPassword(user.passwordHash, password));
  } finally {
    await close();
  }
}

describe('help', () => {
  it('lists the identity commands, and each documents the shared config options', async () => {
    const top = await cli.run(['--help']);
    for (const command of ['user', 'robot', 'role', 'keys']) expect(top.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    for (const args of [['user', 'add'], ['robot', 'regenerate'], ['role', 'bind'], ['keys', 'rotate']]) {
      const help = await cli.run([...args, '--help']);
      expect(help.code).toBe(0);
      for (const flag of ['--config <file>', '--data <dir>']) expect(help.stdout).toContain(flag);
    }
  });
});

describe('scangate user add', () => {
  it('generates a password, prints it alone on stdout once, and stores only its hash', async () => {
    const run = await cli.run(['user', 'add', 'alice']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^[A-Za-z0-9_-]{32}\n$/);
    expect(run.stderr).toMatch(/Created user alice \(no roles\).*\n.*shown only now/);
    const password = run.stdout.trim();
    expect(await passwordWorks('alice', password)).toBe(true);
    const list = await cli.run(['user', 'list', '--json']);
    expect(list.stdout + list.stderr).not.toContain(password);
    expect(list.stdout).not.toContain('argon2id');
  });

  it('reads one line of --password-stdin, never echoes it, and binds --role/--namespace pairs', async () => {
    const password = 'correct horse battery staple';
    const roles = ['--role', 'member', '--namespace', 'team', '--role', 'reader', '--namespace', '*', '--role', 'member', '--namespace', 'team'];
    const run = await cli.run(['user', 'add', 'bob', ...roles, '--password-stdin'], `${password}\r\nsecond line\n`);
    expect([run.code, run.stdout]).toEqual([0, 'created user bob (roles team:member, *:reader)\n']);
    expect(run.stderr).not.toContain(password);
    expect(await passwordWorks('bob', password)).toBe(true);
    expect(jsonOutput(await cli.run(['role', 'list', '--user', 'bob', '--json']))).toEqual([
      { kind: 'user', name: 'bob', namespace: '*', role: 'reader' },
      { kind: 'user', name: 'bob', namespace: 'team', role: 'member' },
    ]);
  });

  it.each([
    [['user', 'add', 'Alice'], /invalid user or robot name "Alice"/],
    [['user', 'add', 'a:b'], /invalid user or robot name/],
    [['user', 'add', 'carol', '--role', 'member'], /give --role and --namespace in pairs \(got 1 --role and 0 --namespace\)/],
    [['user', 'add', 'carol', '--role', 'Member!', '--namespace', 'team'], /invalid role name/],
    [['user', 'add', 'carol', '--role', 'member', '--namespace', 'Team/x'], /invalid namespace name/],
    [['user', 'add', 'carol', '--bogus'], /unknown option '--bogus'/],
    [['user', 'add'], /missing required argument 'name'/],
    [['user', 'frobnicate'], /./],
    [['user', 'list', '--config', '/nonexistent/scangate.yaml'], /cannot read the file/],
  ])('exits 2 on bad usage or config: %j', async (args, message) => {
    const run = await cli.run(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 on a password that is too short or missing on stdin, and creates nothing', async () => {
    const short = await cli.run(['user', 'add', 'carol', '--password-stdin'], 'short\n');
    expect([short.code, short.stderr]).toEqual([2, expect.stringMatching(/at least 8 characters/)]);
    expect(short.stderr).not.toContain('short\n');
    const empty = await cli.run(['user', 'add', 'carol', '--password-stdin'], '');
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringMatching(/standard input held no password/)]);
    expect(jsonOutput(await cli.run(['user', 'list', '--json']))).toEqual([]);
  });

  it('exits 1 when the name is taken', async () => {
    expect((await cli.run(['user', 'add', 'alice'])).code).toBe(0);
    const again = await cli.run(['user', 'add', 'alice']);
    expect([again.code, again.stdout, again.stderr]).toEqual([1, '', 'scangate: user alice exists already\n']);
  });
});

describe('scangate user list, passwd, disable, enable, delete', () => {
  it('lists users as a table and as JSON', async () => {
    await cli.run(['user', 'add', 'bob', '--role', 'admin', '--namespace', '*']);
    await cli.run(['user', 'add', 'alice']);
    await cli.run(['user', 'disable', 'alice']);
    const table = textOutput(await cli.run(['user', 'list'])).split('\n');
    expect(table[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+CREATED$/);
    expect(table[1]).toMatch(/^alice\s+disabled\s+-\s+\d{4}-\d\d-\d\dT[\d:]+Z$/);
    expect(table[2]).toMatch(/^bob\s+enabled\s+\*:admin\s+/);
    const json = jsonOutput(await cli.run(['user', 'list', '--json'])) as Record<string, unknown>[];
    expect(json.map((user) => [user['name'], user['disabled'], user['roles']])).toEqual([
      ['alice', true, []],
      ['bob', false, [{ namespace: '*', role: 'admin' }]],
    ]);
    expect(Object.keys(json[0]!).sort()).toEqual(['createdAt', 'disabled', 'name', 'roles', 'updatedAt']);
  });

  it('changes a password from stdin or to a generated one', async () => {
    const first = (await cli.run(['user', 'add', 'alice'])).stdout.trim();
    const set = await cli.run(['user', 'passwd', 'alice', '--password-stdin'], 'a new passphrase\n');
    expect([set.code, set.stdout]).toEqual([0, 'password of user alice changed\n']);
    expect(await passwordWorks('alice', first)).toBe(false);
    expect(await passwordWorks('alice', 'a new passphrase')).toBe(true);
    const generated = await cli.run(['user', 'passwd', 'alice']);
    expect(generated.code).toBe(0);
    expect(await passwordWorks('alice', generated.stdout.trim())).toBe(true);
  });

  it('disables, enables and deletes (with the user\'s robots), idempotent where it can be', async () => {
    await cli.run(['user', 'add', 'alice']);
    await cli.run(['robot', 'add', 'ci', '--owner', 'alice']);
    expect((await cli.run(['user', 'disable', 'alice'])).stdout).toBe('user alice disabled\n');
    expect((await cli.run(['user', 'disable', 'alice'])).stdout).toBe('user alice is disabled already\n');
    expect((await cli.run(['user', 'enable', 'alice'])).stdout).toBe('user alice enabled\n');
    const deleted = await cli.run(['user', 'delete', 'alice']);
    expect([deleted.code, deleted.stdout]).toEqual([0, 'deleted user alice and its robots ci\n']);
    expect(jsonOutput(await cli.run(['robot', 'list', '--json']))).toEqual([]);
  });

  it.each([['passwd'], ['disable'], ['enable'], ['delete']])('%s exits 1 for an unknown user', async (verb) => {
    const run = await cli.run(['user', verb, 'nobody'], 'some password\n');
    expect([run.code, run.stderr]).toEqual([1, 'scangate: unknown user "nobody"\n']);
  });
});
