import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatApiToken, generateTokenSecret, hashTokenSecret, parseApiToken, tokenSecretMatches } from './api-tokens.js';

describe('API tokens', () => {
  it('formats a token that parses back to the robot id and the secret', () => {
    const robotId = randomUUID();
    const { secret, secretHash } = generateTokenSecret();
    const token = formatApiToken(robotId, secret);
    expect(token).toMatch(/^sgr_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiToken(token)).toEqual({ robotId, secret });
    expect(secretHash).toBe(hashTokenSecret(secret));
    expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('makes a different secret every time', () => {
    expect(generateTokenSecret().secret).not.toBe(generateTokenSecret().secret);
  });

  it('parses nothing that is not a token', () => {
    const id = randomUUID();
    const secret = 'A'.repeat(43);
    for (const text of ['', 'hunter2hunter2', `sgr_${id}`, `sgr_${id}_${secret}x`, `sgr_${id}_${secret.slice(1)}`, `SGR_${id}_${secret}`, `sgr_${id.toUpperCase()}_${secret}`, `sgr_${id}_${'A'.repeat(42)}=`]) {
      expect(parseApiToken(text)).toBeUndefined();
    }
  });

  it('matches the stored hash of the right secret only', () => {
    const { secret, secretHash } = generateTokenSecret();
    expect(tokenSecretMatches(secret, secretHash)).toBe(true);
    expect(tokenSecretMatches(generateTokenSecret().secret, secretHash)).toBe(false);
    expect(tokenSecretMatches(secret, 'not hex')).toBe(false);
    expect(tokenSecretMatches(secret, '')).toBe(false);
  });
});
