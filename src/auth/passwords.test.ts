import { describe, expect, it } from 'vitest';
import {
  assertAcceptablePassword,
  generatePassword,
  hashPassword,
  needsRehash,
  PasswordPolicyError,
  verifyAgainstDummy,
  verifyPassword,
} from './passwords.js';

describe('passwords', () => {
  it('hashes with argon2id at the OWASP parameters and a fresh salt each time', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(first).not.toBe(second);
    expect(needsRehash(first)).toBe(false);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword(stored, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword(stored, '')).toBe(false);
  });

  it('treats a malformed or foreign hash as a mismatch, never as an error', async () => {
    expect(await verifyPassword('not a hash', 'whatever1')).toBe(false);
    expect(await verifyPassword('$2b$10$abcdefghijklmnopqrstuv', 'whatever1')).toBe(false);
    expect(needsRehash('not a hash')).toBe(true);
  });

  it('asks for a rehash of hashes made with weaker parameters', async () => {
    expect(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(true);
    expect(needsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g')).toBe(true);
  });

  it('spends about the time of a real verification on an unknown name', async () => {
    const stored = await hashPassword('correct horse battery');
    await verifyAgainstDummy('warm up');
    const timeOf = async (run: () => Promise<unknown>) => {
      const start = performance.now();
      for (let i = 0; i < 5; i++) await run();
      return performance.now() - start;
    };
    const real = await timeOf(() => verifyPassword(stored, 'wrong password'));
    const dummy = await timeOf(() => verifyAgainstDummy('wrong password'));
    expect(await verifyAgainstDummy('correct horse battery')).toBe(false);
    expect(dummy / real).toBeGreaterThan(0.5);
    expect(dummy / real).toBeLessThan(2);
  });

  it('refuses passwords too short or too long to set, and refuses to verify overlong ones', async () => {
    expect(() => assertAcceptablePassword('short')).toThrow(PasswordPolicyError);
    await expect(hashPassword('x'.repeat(1025))).rejects.toThrow(PasswordPolicyError);
    const stored = await hashPassword('x'.repeat(1024));
    expect(await verifyPassword(stored, 'x'.repeat(1025))).toBe(false);
  });

  it('generates long random passwords', () => {
    const password = generatePassword();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generatePassword()).not.toBe(password);
  });
});
