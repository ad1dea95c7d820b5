import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../jobs/testing/test-clock.js';
import { openTestIdentityStore, type TestIdentityStore } from './testing/identity-store.js';
import { TokenError, type TokenErrorReason } from './token-errors.js';
import { RegistryTokenService, type TokenServiceOptions } from './token-service.js';

const service = 'registry.test';
const access = [{ type: 'repository', name: 'a/x', actions: ['pull', 'push'] }];
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const partsOf = (token: string) => token.split('.') as [string, string, string];
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

describe('RegistryTokenService', () => {
  let identity: TestIdentityStore;
  let clock: TestClock;
  let tokens: RegistryTokenService;
  const open = (options: Partial<TokenServiceOptions> = {}) => new RegistryTokenService(identity.store, { issuer: 'scangate', clock: clock.now, ...options });

  beforeEach(async () => {
    clock = new TestClock();
    identity = await openTestIdentityStore(clock.now);
    tokens = open();
  });
  afterEach(() => identity.close());

  const refusal = async (token: string, reason: TokenErrorReason, verifier = tokens) => {
    const error = await verifier.verify(token, service).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).reason).toBe(reason);
  };
  const privateKeyOf = async (kid: string) => {
    const record = await identity.store.getSigningKey(kid);
    return importJWK(JSON.parse(record!.privateJwk) as JWK, 'EdDSA');
  };

  it('issues a token that verifies to its claims, with kid, iss, aud, sub, iat, nbf, exp and jti', async () => {
    const issued = await tokens.issue({ subject: 'user:alice', access, service, ttlSeconds: 120 });
    const [header, payload] = partsOf(issued.token).slice(0, 2).map(decode) as [Record<string, unknown>, Record<string, unknown>];
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: issued.kid });
    const now = clock.now().getTime() / 1000;
    expect(payload).toEqual({ iss: 'scangate', sub: 'user:alice', aud: service, iat: now, nbf: now, exp: now + 120, jti: issued.jti, access });
    expect(issued).toMatchObject({ expiresIn: 120, issuedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 120_000) });
    expect(await tokens.verify(issued.token, service)).toEqual({
      issuer: 'scangate',
      subject: 'user:alice',
      audience: service,
      access,
      issuedAt: clock.now(),
      notBefore: clock.now(),
      expiresAt: issued.expiresAt,
      jti: issued.jti,
      kid: issued.kid,
    });
  });

  it('caps the lifetime at maxTtlSeconds and defaults to 300 s', async () => {
    expect((await tokens.issue({ subject: 's', access, service })).expiresIn).toBe(300);
    expect((await tokens.issue({ subject: 's', access, service, ttlSeconds: 86_400 })).expiresIn).toBe(3600);
  });

  it('refuses a token for another service or from another issuer', async () => {
    const { token } = await tokens.issue({ subject: 's', access, service: 'other.service' });
    await refusal(token, 'wrong_audience');
    const foreign = await open({ issuer: 'someone-else' }).issue({ subject: 's', access, service });
    await refusal(foreign.token, 'wrong_issuer');
  });

  it('refuses an expired token, past a small clock tolerance', async () => {
    const { token } = await tokens.issue({ subject: 's', access, service, ttlSeconds: 60 });
    clock.advance(60_000 + 25_000);
    await expect(tokens.verify(token, service)).resolves.toMatchObject({ subject: 's' });
    clock.advance(10_000);
    await refusal(token, 'expired');
  });

  it('refuses a token that is not yet valid', async () => {
    const { token } = await tokens.issue({ subject: 's', access, service });
    clock.advance(-60_000);
    await refusal(token, 'not_yet_valid');
  });

  it('refuses a tampered token: another access claim under the same signature', async () => {
    const { token } = await tokens.issue({ subject: 's', access, service });
    const [header, payload, signature] = partsOf(token);
    const widened = b64({ ...decode(payload), access: [{ type: 'repository', name: 'a/y', actions: ['pull', 'push'] }] });
    await refusal(`${header}.${widened}.${signature}`, 'bad_signature');
  });

  it('refuses alg none and HS256, even with the right kid', async () => {
    const { token, kid } = await tokens.issue({ subject: 's', access, service });
    const payload = partsOf(token)[1];
    await refusal(`${b64({ alg: 'none', kid })}.${payload}.`, 'algorithm_not_allowed');
    // Key confusion: HMAC keyed with the public key's bytes.
    const publicX = (await identity.store.getSigningKey(kid))!.publicJwk['x'] as string;
    const hs = await new SignJWT(decode(payload)).setProtectedHeader({ alg: 'HS256', kid }).sign(Buffer.from(publicX));
    await refusal(hs, 'algorithm_not_allowed');
  });

  it('refuses a token signed by a key it does not know, or by another key under a known kid', async () => {
    const { kid } = await tokens.issue({ subject: 's', access, service });
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const claims = { iss: 'scangate', sub: 's', aud: service, access, jti: 'j' };
    const sign = (headerKid: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: headerKid }).setIssuedAt(clock.now()).setNotBefore(clock.now()).setExpirationTime(clock.now().getTime() / 1000 + 60).sign(privateKey);
    await refusal(await sign('A'.repeat(43)), 'unknown_key');
    await refusal(await sign('../../etc/passwd'), 'unknown_key');
    await refusal(await sign(kid), 'bad_signature');
  });

  it('refuses malformed tokens', async () => {
    for (const token of ['', 'abc', 'a.b.c', 'a.b', `${b64({ alg: 'EdDSA' })}x.e30.sig`]) await refusal(token, 'malformed');
    await refusal(`${b64({ alg: 'EdDSA' })}.${b64({})}.sig`, 'unknown_key');
  });

  it('refuses a signed token whose access claim is not a list of {type, name, actions}', async () => {
    const { kid } = await tokens.issue({ subject: 's', access, service });
    const now = clock.now().getTime() / 1000;
    for (const bad of ['repository:a/x:pull', [{ type: 'repository', name: 'a/x', actions: 'pull' }], [null]]) {
      const token = await new SignJWT({ iss: 'scangate', sub: 's', aud: service, iat: now, nbf: now, exp: now + 60, jti: 'j', access: bad })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .sign(await privateKeyOf(kid));
      await refusal(token, 'invalid_claims');
    }
  });

  it('rotates: new tokens get the new kid, old ones verify until the grace period ends', async () => {
    const before = await tokens.issue({ subject: 's', access, service });
    clock.advance(1000);
    const rotated = await tokens.rotate();
    const after = await tokens.issue({ subject: 's', access, service });
    expect(after.kid).toBe(rotated.kid);
    expect(after.kid).not.toBe(before.kid);
    await expect(tokens.verify(before.token, service)).resolves.toMatchObject({ kid: before.kid });
    expect((await tokens.publicJwks()).keys.map((key) => key.kid)).toEqual([after.kid, before.kid]);
    // A token made by the old key, valid by its own exp, is refused once the key's grace is over.
    clock.advance(tokens.retiredKeyGraceMs + 1000);
    const late = await new SignJWT({ iss: 'scangate', sub: 's', aud: service, access, jti: 'j' })
      .setProtectedHeader({ alg: 'EdDSA', kid: before.kid })
      .setIssuedAt(clock.now())
      .setNotBefore(clock.now())
      .setExpirationTime(clock.now().getTime() / 1000 + 60)
      .sign(await privateKeyOf(before.kid));
    await refusal(late, 'unknown_key', open());
    expect(await tokens.pruneRetiredKeys()).toBe(1);
    expect((await tokens.publicJwks()).keys.map((key) => key.kid)).toEqual([after.kid]);
  });

  it('shares keys between processes through the store', async () => {
    const other = open();
    const { token, kid } = await tokens.issue({ subject: 's', access, service });
    await expect(other.verify(token, service)).resolves.toMatchObject({ subject: 's' });
    expect((await other.issue({ subject: 's', access, service })).kid).toBe(kid);
    const publicJwk = (await identity.store.getSigningKey(kid))!.publicJwk;
    expect(publicJwk).toEqual({ ...(await exportJWK(await importJWK(publicJwk as JWK, 'EdDSA'))), kid, alg: 'EdDSA', use: 'sig' });
  });
});
