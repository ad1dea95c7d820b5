// Robot accounts with their API tokens: the token exists in clear only in what these
// functions return; the store keeps its hash.
import type { IdentityStore, RobotRecord } from '../ports/identity-store.js';
import { formatApiToken, generateTokenSecret } from './api-tokens.js';
import { assertPrincipalName } from './names.js';

export interface NewRobotAccount {
  name: string;
  ownerId: string;
  description?: string;
  expiresAt?: Date | null;
}

export interface RobotWithToken {
  robot: RobotRecord;
  /** Show it once; it cannot be read back. */
  token: string;
}

/** Throws InvalidNameError, IdentityConflictError or IdentityNotFoundError (owner). */
export async function createRobotAccount(store: IdentityStore, account: NewRobotAccount): Promise<RobotWithToken> {
  assertPrincipalName(account.name);
  const { secret, secretHash } = generateTokenSecret();
  const robot = await store.createRobot({ ...account, tokenHash: secretHash });
  return { robot, token: formatApiToken(robot.id, secret) };
}

/** A new token for the robot; the old one stops working at once. Undefined: no such robot. */
export async function regenerateRobotToken(store: IdentityStore, robotId: string, expiresAt: Date | null): Promise<RobotWithToken | undefined> {
  const { secret, secretHash } = generateTokenSecret();
  const robot = await store.setRobotToken(robotId, secretHash, expiresAt);
  return robot && { robot, token: formatApiToken(robot.id, secret) };
}
