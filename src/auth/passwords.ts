// Password hashing with argon2id through @node-rs/argon2: the Rust `argon2` crate behind a
// napi binding whose binary comes inside an npm package for each platform (no install
// script, no compiler, nothing downloaded at install time), hashing on libuv's threadpool
// so the event loop never waits for it. (`argon2` would compile with node-gyp: it works
// too, but needs a toolchain and an approved install script.)
//
// Parameters: OWASP Password Storage Cheat Sheet, argon2id with m = 19 MiB, t = 2, p = 1
// (its first recommended configuration). Verification takes about 15 ms here, and at most
// four run at once (the threadpool's size), which bounds memory at ~76 MiB.
import { randomBytes } from 'node:crypto';
import { Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';

export const passwordHashParameters = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} as const;

/** Shorter is guessable; longer only costs hashing time (NIST SP 800-63B asks for >= 8). */
export const minPasswordLength = 8;
export const maxPasswordLength = 1024;

export class PasswordPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordPolicyError';
  }
}

/** Throws PasswordPolicyError for a password that may not be set. */
export function assertAcceptablePassword(password: string): void {
  if (password.length < minPasswordLength) throw new PasswordPolicyError(`a password needs at least ${minPasswordLength} characters`);
  if (password.length > maxPasswordLength) throw new PasswordPolicyError(`a password may have at most ${maxPasswordLength} characters`);
}

/** An argon2id PHC string with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  assertAcceptablePassword(password);
  return hash(password, passwordHashParameters);
}

/**
 * True when `password` matches `passwordHash`. The comparison of the derived keys is
 * constant-time (the crate's `password-hash` verifier). A malformed hash is false, never
 * an exception: a damaged row must not become a 500 that tells it apart from a wrong password.
 */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length > maxPasswordLength) return verifyAgainstDummy(password);
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one real verification and returns false: for a name that does not
 * exist, so that the answer's timing does not tell which names do.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hash(randomBytes(32), passwordHashParameters);
  await verify(await dummyHash, password.slice(0, maxPasswordLength)).catch(() => false);
  return false;
}

/** True when the hash was made with weaker or other parameters than today's (rehash at next login). */
export function needsRehash(passwordHash: string): boolean {
  try {
    const used = parseOptions(passwordHash);
    const want = passwordHashParameters;
    return used.algorithm !== want.algorithm || used.memoryCost < want.memoryCost || used.timeCost < want.timeCost || used.outputLen < want.outputLen;
  } catch {
    return true;
  }
}

/** A password for a generated account: 24 random bytes, 32 base64url characters (192 bits). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
