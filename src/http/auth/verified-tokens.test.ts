import { describe, expect, it } from 'vitest';
import type { Authentication } from '../../auth/authenticate.js';
import { VerifiedTokens } from './verified-tokens.js';

const bearer = (expiresAt: number): Authentication => ({
  scheme: 'bearer',
  subject: { kind: 'user', name: 'u' },
  access: [],
  claims: { issuer: 'i', subject: 'user:u', audience: 's', access: [], issuedAt: new Date(0), notBefore: new Date(0), expiresAt: new Date(expiresAt), jti: 'j', kid: 'k' },
});

describe('VerifiedTokens', () => {
  it('keeps a bearer authentication until its exp, never a Basic one, and stays bounded', () => {
    let now = 1_000;
    const cache = new VerifiedTokens(2, () => now);
    cache.remember('Bearer a', bearer(2_000));
    cache.remember('Basic x', { scheme: 'basic', principal: { kind: 'user', id: '1', name: 'u' } });
    expect(cache.get('Bearer a')).toBeDefined();
    expect(cache.get('Basic x')).toBeUndefined();
    now = 2_000;
    expect(cache.get('Bearer a')).toBeUndefined();
    for (const name of ['b', 'c', 'd']) cache.remember(`Bearer ${name}`, bearer(9_000));
    expect(cache.get('Bearer d')).toBeDefined();
    expect(cache.get('Bearer b')).toBeUndefined();
  });
});
