// Robot (API) tokens: `sgr_<robot id>_<secret>`, where the secret is 32 random bytes in
// base64url. The robot id makes lookup one primary-key read; the secret is shown once, when
// it is made, and only its hash is stored.
//
// Why SHA-256 and not argon2: a password is low-entropy, so its hash must be slow to make
// guessing expensive. A 256-bit random secret cannot be guessed whatever the hash costs,
// so a fast one-way hash is enough, and it keeps every API request free of a 15 ms
// argon2 verification. Comparison is constant-time over the fixed-length digests.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const apiTokenPrefix = 'sgr_';
const secretBytes = 32;
const tokenPattern = /^sgr_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiToken {
  robotId: string;
  secret: string;
}

export interface NewApiTokenSecret {
  secret: string;
  /** What the store keeps (RobotRecord.tokenHash). */
  secretHash: string;
}

/** A fresh secret and its hash; format the token with the robot's id once it exists. */
export function generateTokenSecret(): NewApiTokenSecret {
  const secret = randomBytes(secretBytes).toString('base64url');
  return { secret, secretHash: hashTokenSecret(secret) };
}

export function formatApiToken(robotId: string, secret: string): string {
  return `${apiTokenPrefix}${robotId}_${secret}`;
}

/** The parts of a well-formed token; undefined for anything else (a password, say). */
export function parseApiToken(token: string): ParsedApiToken | undefined {
  const match = tokenPattern.exec(token);
  return match ? { robotId: match[1]!, secret: match[2]! } : undefined;
}

/** SHA-256 of the secret, hex. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time: compares the digests, which have the same length whatever the input. */
export function tokenSecretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashTokenSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
