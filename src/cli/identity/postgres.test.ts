// The identity commands on PostgreSQL (SCANGATE_DATABASE_URL), as the built binary. Needs
// the server: when it is unreachable, createThrowawayDatabase throws and these tests fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../auth/passwords.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from '../../metadata/testing/pg-database.js';
import { identityCli, jsonOutput, type IdentityCli } from './testing/cli.js';

let database: ThrowawayDatabase;
let cli: IdentityCli;
beforeAll(async () => {
  database = await createThrowawayDatabase('scangate_identity_cli');
  cli = await identityCli({ SCANGATE_DATABASE_URL: database.url });
});
afterAll(async () => {
  await cli?.remove();
  await database?.drop();
});

describe('identity commands on PostgreSQL', () => {
  it('migrates, then manages users, robots, roles and keys in that database', async () => {
    const add = await cli.run(['user', 'add', 'alice', '--role', 'admin', '--namespace', '*', '--password-stdin'], 'a long passphrase\n');
    expect([add.code, add.stdout]).toEqual([0, 'created user alice (roles *:admin)\n']);
    expect((await cli.run(['robot', 'add', 'ci', '--owner', 'alice', '--expires', '1w'])).code).toBe(0);
    expect((await cli.run(['role', 'bind', '--robot', 'ci', '--namespace', 'team', '--role', 'maintainer'])).code).toBe(0);
    expect((await cli.run(['keys', 'rotate'])).code).toBe(0);

    expect(jsonOutput(await cli.run(['role', 'list', '--json']))).toEqual([
      { kind: 'robot', name: 'ci', namespace: 'team', role: 'maintainer' },
      { kind: 'user', name: 'alice', namespace: '*', role: 'admin' },
    ]);
    expect((jsonOutput(await cli.run(['keys', 'list', '--json'])) as unknown[]).length).toBe(1);
    expect(await cli.run(['user', 'add', 'alice'])).toMatchObject({ code: 1, stderr: 'scangate: user alice exists already\n' });

    // It went to PostgreSQL, not to a SQLite file in the data directory.
    const { store, close } = await cli.openStore();
    try {
      const alice = await store.findUserByName('alice');
      expect(await verifyPassword(alice!.passwordHash, 'a long passphrase')).toBe(true);
      expect((await store.listRobots()).map((robot) => robot.name)).toEqual(['ci']);
    } finally {
      await close();
    }
  });

  it('exits 1 with the reason when the database cannot be reached', async () => {
    const unreachable = await identityCli({ SCANGATE_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    try {
      const run = await unreachable.run(['user', 'list']);
      expect([run.code, run.stdout]).toEqual([1, '']);
      expect(run.stderr).toMatch(/^scangate: database migration failed before any migration ran: .*ECONNREFUSED/);
    } finally {
      await unreachable.remove();
    }
  });
});
