// The JWKS over a real socket, checked the way an outside verifier uses it: jose's
// createRemoteJWKSet against the endpoint verifies a token from /token, before and after a
// key rotation.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startAuthTestApp, type AuthTestApp } from './testing/auth-app.js';

let t: AuthTestApp;
let baseUrl: string;
beforeAll(async () => {
  t = await startAuthTestApp();
  baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => t.close());

async function issuedToken(): Promise<string> {
  const response = await fetch(`${baseUrl}/token?service=scangate&scope=repository:team/app:pull`, { headers: { authorization: basic('admin', t.adminPassword) } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

async function jwks(path: string): Promise<{ response: Response; keys: Record<string, unknown>[] }> {
  const response = await fetch(`${baseUrl}${path}`);
  return { response, keys: ((await response.json()) as { keys: Record<string, unknown>[] }).keys };
}

describe('GET /.well-known/jwks.json and /auth/jwks', () => {
  it('serve the public signing keys without credentials, with kid, alg and use, and a short max-age', async () => {
    const token = await issuedToken(); // the first token creates the first key
    for (const path of ['/.well-known/jwks.json', '/auth/jwks']) {
      const { response, keys } = await jwks(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=60');
      expect(response.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
      expect(keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' }]);
    }
    const remote = createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token, remote, { issuer: 'scangate', audience: 'scangate' });
    expect(payload.sub).toBe('user:admin');
    expect(protectedHeader.kid).toBe((await jwks('/auth/jwks')).keys[0]!['kid']);
  });

  it('keep the retired key after a rotation, so tokens it signed still verify; new tokens verify with the new key', async () => {
    const before = await issuedToken();
    const rotated = await t.access.deps.tokens.rotate();
    const after = await issuedToken();
    const { keys } = await jwks('/.well-known/jwks.json');
    expect(keys.map((key) => key['kid'])).toEqual([rotated.kid, expect.any(String)]);
    expect(JSON.stringify(keys)).not.toMatch(/"d"/);
    const remote = createRemoteJWKSet(new URL(`${baseUrl}/auth/jwks`));
    for (const token of [before, after]) await expect(jwtVerify(token, remote, { issuer: 'scangate', audience: 'scangate' })).resolves.toBeDefined();
    expect((await jwtVerify(after, remote)).protectedHeader.kid).toBe(rotated.kid);
  });
});
