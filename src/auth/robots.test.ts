import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UserRecord } from '../ports/identity-store.js';
import { parseApiToken, tokenSecretMatches } from './api-tokens.js';
import { InvalidNameError } from './names.js';
import { createRobotAccount, regenerateRobotToken } from './robots.js';
import { openTestIdentityStore, type TestIdentityStore } from './testing/identity-store.js';

describe('robot accounts', () => {
  let identity: TestIdentityStore;
  let owner: UserRecord;

  beforeEach(async () => {
    identity = await openTestIdentityStore();
    owner = await identity.store.createUser({ name: 'alice', passwordHash: 'x' });
  });
  afterEach(() => identity.close());

  const matches = (token: string, hash: string) => tokenSecretMatches(parseApiToken(token)!.secret, hash);

  it('creates a robot whose token names it and is stored only as a hash', async () => {
    const { robot, token } = await createRobotAccount(identity.store, { name: 'ci', ownerId: owner.id, description: 'builds' });
    expect(parseApiToken(token)?.robotId).toBe(robot.id);
    expect(robot.tokenHash).not.toContain(parseApiToken(token)!.secret);
    expect(matches(token, (await identity.store.getRobot(robot.id))!.tokenHash)).toBe(true);
  });

  it('regenerates a token: the old one stops matching at once', async () => {
    const { robot, token } = await createRobotAccount(identity.store, { name: 'ci', ownerId: owner.id });
    const expiresAt = new Date('2031-01-01T00:00:00Z');
    const renewed = await regenerateRobotToken(identity.store, robot.id, expiresAt);
    expect(renewed?.robot).toMatchObject({ id: robot.id, expiresAt });
    const stored = (await identity.store.getRobot(robot.id))!.tokenHash;
    expect(matches(renewed!.token, stored)).toBe(true);
    expect(matches(token, stored)).toBe(false);
    expect(await regenerateRobotToken(identity.store, '00000000-0000-0000-0000-000000000000', null)).toBeUndefined();
  });

  it('refuses a name that is not a principal name', async () => {
    await expect(createRobotAccount(identity.store, { name: 'CI:bot', ownerId: owner.id })).rejects.toBeInstanceOf(InvalidNameError);
  });
});
