// The /v2 guard and GET /token over the real app: tokens open exactly their scope, Basic is
// decided by the policy per request, and bad tokens (expired, foreign key, alg none,
// tampered, HS256 with the public key) are 401s, never an allow.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RegistryTokenService } from '../../auth/token-service.js';
import { basic, startAuthTestApp, type AuthTestApp } from './testing/auth-app.js';

let t: AuthTestApp;
let admin: string;
let member: string;
let robot: string;
beforeAll(async () => {
  t = await startAuthTestApp();
  admin = basic('admin', t.adminPassword);
  member = await t.addUser('mia', 'member-password', [{ namespace: 'a', role: 'member' }]);
  robot = await t.addRobot('ci', [{ namespace: 'a', role: 'member' }]);
});
afterAll(async () => t.close());

async function tokenFor(authorization: string, ...scopes: string[]): Promise<{ token: string; expires_in: number; access_token: string; issued_at: string }> {
  const query = scopes.map((scope) => `scope=${encodeURIComponent(scope)}`).join('&');
  const res = await t.app.inject({ method: 'GET', url: `/token?service=scangate&${query}`, headers: { authorization } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: unknown; sub: string };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function pushBlob(headers: Record<string, string>, name: string, body = Buffer.from(`blob for ${name}`)) {
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  return t.app.inject({ method: 'POST', url: `/v2/${name}/blobs/uploads/?digest=${digest}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: body });
}

describe('GET /token', () => {
  it('grants what the policy allows of what was asked, and nothing more', async () => {
    const res = await tokenFor(member, 'repository:a/x:pull,push,delete', 'repository:b/y:pull', 'registry:catalog:*');
    expect(res.token).toBe(res.access_token);
    expect(res.expires_in).toBe(300);
    expect(Date.parse(res.issued_at)).not.toBeNaN();
    expect(claimsOf(res.token)).toMatchObject({ sub: 'user:mia', access: [{ type: 'repository', name: 'a/x', actions: ['pull', 'push'] }] });
    const adminToken = await tokenFor(admin, 'repository:b/y:pull,push,delete', 'registry:catalog:*');
    expect(claimsOf(adminToken.token).access).toEqual([
      { type: 'repository', name: 'b/y', actions: ['pull', 'push', 'delete'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('takes a robot name and API token', async () => {
    const res = await tokenFor(robot, 'repository:a/x:pull,push');
    expect(claimsOf(res.token)).toMatchObject({ sub: 'robot:ci', access: [{ name: 'a/x', actions: ['pull', 'push'] }] });
  });

  it("looks the caller's roles up once per repository scope, not once per action", async () => {
    const rolesFor = vi.spyOn(t.identity, 'rolesFor');
    try {
      const res = await tokenFor(robot, 'repository:a/x:pull,push,delete');
      expect(claimsOf(res.token)).toMatchObject({ access: [{ name: 'a/x', actions: ['pull', 'push'] }] });
      expect(rolesFor).toHaveBeenCalledTimes(1);
    } finally {
      rolesFor.mockRestore();
    }
  });

  it('looks the roles of a Basic caller up once per request, though a push needs pull and push', async () => {
    const rolesFor = vi.spyOn(t.identity, 'rolesFor');
    try {
      expect((await pushBlob({ authorization: member }, 'a/once')).statusCode).toBe(201);
      expect(rolesFor).toHaveBeenCalledTimes(1);
    } finally {
      rolesFor.mockRestore();
    }
  });

  it('answers a malformed scope with 400', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/token?scope=repository:A B:pull', headers: { authorization: admin } });
    expect(res.statusCode).toBe(400);
  });
});

describe('the /v2 guard', () => {
  it('lets a token do what it carries, on its repository only', async () => {
    const { token } = await tokenFor(robot, 'repository:a/x:pull,push');
    expect((await pushBlob(bearer(token), 'a/x')).statusCode).toBe(201);
    expect((await t.app.inject({ method: 'GET', url: '/v2/a/x/tags/list', headers: bearer(token) })).statusCode).toBe(200);
    // a/y: the robot could get a token for it, so the client is told to fetch one.
    const other = await pushBlob(bearer(token), 'a/y');
    expect(other.statusCode).toBe(401);
    expect(other.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(other.headers['www-authenticate']).toContain('scope="repository:a/y:pull,push"');
    // b/y: the policy would not let it, so 403 naming the action and the rule.
    const denied = await t.app.inject({ method: 'GET', url: '/v2/b/y/tags/list', headers: bearer(token) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().errors[0]).toMatchObject({ code: 'DENIED', detail: { action: 'pull', resource: 'repository:b/y' } });
    expect(denied.json().errors[0].message).toMatch(/^pull on repository b\/y is denied: denied by rule "pull"/);
  });

  it('decides Basic credentials with the policy on every request', async () => {
    expect((await pushBlob({ authorization: member }, 'a/basic')).statusCode).toBe(201);
    const push = await pushBlob({ authorization: member }, 'b/basic');
    expect(push.statusCode).toBe(403);
    expect(push.json().errors[0].message).toContain('is denied: denied by rule "pull"');
    const del = await t.app.inject({ method: 'DELETE', url: `/v2/a/basic/manifests/sha256:${'0'.repeat(64)}`, headers: { authorization: member } });
    expect(del.statusCode).toBe(403);
    expect(del.json().errors[0].detail).toMatchObject({ action: 'delete' });
    expect((await t.app.inject({ method: 'GET', url: '/v2/_catalog', headers: { authorization: member } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v2/_catalog', headers: { authorization: admin } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/v2/', headers: { authorization: member } })).statusCode).toBe(200);
  });

  it('authorizes the decoded name the request is served for, whatever its encoding', async () => {
    for (const url of ['/v2/b%2Fy/tags/list', '/v2/b/y%2Ftags%2Flist', '/v2/%62/y/tags/list', '/v2/b/y/tags/list']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { authorization: member } });
      expect(res.statusCode, url).toBe(403);
    }
  });

  it('needs pull on the source of a cross-repository mount, and mounts nothing without one', async () => {
    const secret = Buffer.from('a blob only b/secret holds');
    expect((await pushBlob({ authorization: admin }, 'b/secret', secret)).statusCode).toBe(201);
    const digest = `sha256:${createHash('sha256').update(secret).digest('hex')}`;
    const { token } = await tokenFor(member, 'repository:a/x:pull,push');
    for (const query of [`mount=${digest}&from=b/secret`, `mount=${digest}&mount=${digest}&from=b/secret`, `mount=${digest}&from=b/secret&from=a/x`]) {
      const res = await t.app.inject({ method: 'POST', url: `/v2/a/x/blobs/uploads/?${query}`, headers: bearer(token) });
      expect(res.statusCode, query).toBe(403);
      expect(res.json().errors[0].detail).toMatchObject({ action: 'pull', resource: 'repository:b/secret' });
    }
    const fromAnywhere = await t.app.inject({ method: 'POST', url: `/v2/a/x/blobs/uploads/?mount=${digest}`, headers: bearer(token) });
    expect(fromAnywhere.statusCode).toBe(202);
    expect((await t.app.inject({ method: 'HEAD', url: `/v2/a/x/blobs/${digest}`, headers: bearer(token) })).statusCode).toBe(404);
  });
});

describe('bad tokens on /v2', () => {
  const url = '/v2/a/x/tags/list';
  const refused = async (token: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('accepts the good one (the baseline)', async () => {
    const { token } = await tokenFor(admin, 'repository:a/x:pull');
    expect([200, 404]).toContain((await t.app.inject({ method: 'GET', url, headers: bearer(token) })).statusCode);
  });

  it('refuses an expired token', async () => {
    const past = new RegistryTokenService(t.identity, { issuer: 'scangate', clock: () => new Date(Date.now() - 2 * 3600_000) });
    const { token } = await past.issue({ subject: 'user:admin', access: [{ type: 'repository', name: 'a/x', actions: ['pull'] }], service: 'scangate', ttlSeconds: 60 });
    await refused(token);
  });

  it('refuses a token signed with another key, even under a known kid', async () => {
    const { token: good } = await tokenFor(admin, 'repository:a/x:pull');
    const kid = (JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const now = Math.floor(Date.now() / 1000);
    for (const headerKid of [kid, 'A'.repeat(43)]) {
      const forged = await new SignJWT({ access: [{ type: 'repository', name: 'a/x', actions: ['pull'] }] })
        .setProtectedHeader({ alg: 'EdDSA', kid: headerKid })
        .setIssuer('scangate').setSubject('user:admin').setAudience('scangate')
        .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 60).setJti('x')
        .sign(privateKey);
      await refused(forged);
    }
  });

  it('refuses alg none, HS256 keyed with the public key, and a tampered payload', async () => {
    const { token: good } = await tokenFor(admin, 'repository:a/x:pull');
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>;
    await refused(`${b64({ ...headerJson, alg: 'none' })}.${payload}.`);
    await refused(`${b64({ ...headerJson, alg: 'none' })}.${payload}.${signature}`);
    const tampered = { ...claims, access: [{ type: 'repository', name: 'a/x', actions: ['pull', 'push', 'delete'] }] };
    await refused(`${header}.${b64(tampered)}.${signature}`);
    const publicJwk = (await t.identity.currentSigningKey())!.publicJwk;
    const hsKey = new TextEncoder().encode(JSON.stringify(publicJwk));
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: headerJson['kid'] as string }).sign(hsKey);
    await refused(hs);
    await refused('not.a.token');
    await refused(`${header}.${payload}`);
  });
});

describe('anonymousPull', () => {
  it('issues nobody a pull-only token where the policy lets role:anonymous pull, and nothing with the defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scangate-anon-policy-'));
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, `"pull": "rule:is_reader or (role:anonymous and 'public':%(namespace)s)"\n`);
    const open = await startAuthTestApp({ anonymousPull: true, policyFile });
    const defaults = await startAuthTestApp({ anonymousPull: true });
    try {
      const res = await open.app.inject({ method: 'GET', url: '/token?scope=repository:public/x:pull,push&scope=repository:a/x:pull' });
      expect(res.statusCode).toBe(200);
      const { token } = res.json() as { token: string };
      expect(claimsOf(token).access).toEqual([{ type: 'repository', name: 'public/x', actions: ['pull'] }]);
      expect((await open.app.inject({ method: 'GET', url: '/v2/public/x/tags/list' })).statusCode).toBe(404);
      expect((await open.app.inject({ method: 'GET', url: '/v2/public/x/tags/list', headers: bearer(token) })).statusCode).toBe(404);
      expect((await open.app.inject({ method: 'GET', url: '/v2/a/x/tags/list' })).statusCode).toBe(401);
      expect((await open.app.inject({ method: 'POST', url: '/v2/public/x/blobs/uploads/' })).statusCode).toBe(401);
      const fromDefaults = await defaults.app.inject({ method: 'GET', url: '/token?scope=repository:public/x:pull' });
      expect(claimsOf((fromDefaults.json() as { token: string }).token).access).toEqual([]);
      expect((await defaults.app.inject({ method: 'GET', url: '/v2/public/x/tags/list' })).statusCode).toBe(401);
    } finally {
      await open.close();
      await defaults.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
