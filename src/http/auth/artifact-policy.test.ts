// Rules that read the artifact, decided where the artifact is resolved: Glance's
// `download_image` over a billing-code property, on manifests (by tag and by digest), on the
// blobs only a restricted image has, through Basic and through registry tokens, and the
// audit lines those decisions leave.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startAuthTestApp, type AuthTestApp } from './testing/auth-app.js';
import { pushImage, type PushedImage } from './testing/push-image.js';
import { glanceRules } from '../../policy/testing/glance.js';
import { scannerTokenSubjectClaim } from '../../auth/scanner-token.js';

const glancePolicy = { ...glanceRules, pull: 'rule:is_reader and rule:download_image' };

let t: AuthTestApp;
let admin: string;
let member: string;
let reader: string;
let restricted: PushedImage;
let open: PushedImage;
beforeAll(async () => {
  t = await startAuthTestApp({ audit: 'all' }, async (dir) => {
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, JSON.stringify(glancePolicy));
    return { policyFile };
  });
  admin = basic('admin', t.adminPassword);
  member = await t.addUser('mia', 'member-password', [{ namespace: 'billing', role: 'member' }]);
  reader = await t.addUser('rex', 'reader-password', [{ namespace: 'billing', role: 'reader' }]);
  restricted = await pushImage(t.app, admin, 'billing/app', 'restricted', { annotations: { x_billing_code_ntt: 'ntt_3251' }, sharedLayer: 'base layer' });
  open = await pushImage(t.app, admin, 'billing/app', 'open', { sharedLayer: 'base layer' });
});
afterAll(async () => t.close());

const get = (url: string, authorization: string, method: 'GET' | 'HEAD' = 'GET') => t.app.inject({ method, url, headers: { authorization } });

async function tokenFor(authorization: string, scope: string): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: `/token?service=scangate&scope=${encodeURIComponent(scope)}`, headers: { authorization } });
  expect(res.statusCode).toBe(200);
  return (res.json() as { token: string }).token;
}

describe("a rule over the artifact's properties (Glance's download_image)", () => {
  it('denies the member the restricted image, by tag and by digest, naming the rule', async () => {
    for (const reference of ['restricted', restricted.digest]) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await get(`/v2/billing/app/manifests/${reference}`, member, method);
        expect(res.statusCode, `${method} ${reference}`).toBe(403);
        if (method === 'GET') {
          const error = res.json().errors[0];
          expect(error.code).toBe('DENIED');
          expect(error.message).toContain('rule "pull"');
          // The reason is the rule's text with the failing check, never the target's values.
          expect(error.message).toContain("not ('ntt_3251':%(x_billing_code_ntt)s and role:member) (it holds)");
          expect(error.detail).toMatchObject({ action: 'pull', resource: `artifact:billing/app:${reference}` });
        }
      }
    }
  });

  it('lets the member pull the other image, list tags, and pull the shared base layer', async () => {
    expect((await get('/v2/billing/app/manifests/open', member)).statusCode).toBe(200);
    expect((await get('/v2/billing/app/tags/list', member)).statusCode).toBe(200);
    expect((await get(`/v2/billing/app/blobs/${open.layer}`, member)).statusCode).toBe(200);
    const restrictedManifest = (await get('/v2/billing/app/manifests/restricted', admin)).json() as { layers: { digest: string }[] };
    const shared = restrictedManifest.layers[1]!.digest;
    expect((await get(`/v2/billing/app/blobs/${shared}`, member)).statusCode).toBe(200);
  });

  it("denies the member the blobs only the restricted image has, but not a blob's HEAD", async () => {
    for (const digest of [restricted.layer, restricted.config]) {
      const res = await get(`/v2/billing/app/blobs/${digest}`, member);
      expect(res.statusCode).toBe(403);
      expect(res.json().errors[0].detail).toMatchObject({ action: 'pull', resource: `blob:billing/app@${digest}` });
      expect((await get(`/v2/billing/app/blobs/${digest}`, member, 'HEAD')).statusCode).toBe(200);
    }
  });

  it('lets an admin and a reader pull the restricted image', async () => {
    expect((await get('/v2/billing/app/manifests/restricted', admin)).statusCode).toBe(200);
    expect((await get('/v2/billing/app/manifests/restricted', reader)).statusCode).toBe(200);
    expect((await get(`/v2/billing/app/blobs/${restricted.layer}`, reader)).statusCode).toBe(200);
  });

  it('decides the same through a registry token: the token carries pull, the artifact is refused', async () => {
    const token = await tokenFor(member, 'repository:billing/app:pull');
    const bearer = `Bearer ${token}`;
    expect((await get('/v2/billing/app/manifests/open', bearer)).statusCode).toBe(200);
    expect((await get('/v2/billing/app/manifests/restricted', bearer)).statusCode).toBe(403);
    expect((await get(`/v2/billing/app/blobs/${restricted.layer}`, bearer)).statusCode).toBe(403);
  });

  it("lets a scanner adapter's token (minted by scangate for one scan) pull the restricted image, and only in its repository", async () => {
    const issued = await t.access.deps.tokens.issue({
      subject: scannerTokenSubjectClaim,
      access: [{ type: 'repository', name: 'billing/app', actions: ['pull'] }],
      service: 'scangate',
      ttlSeconds: 60,
    });
    const scanner = `Bearer ${issued.token}`;
    expect((await get('/v2/billing/app/manifests/restricted', scanner)).statusCode).toBe(200);
    expect((await get(`/v2/billing/app/blobs/${restricted.layer}`, scanner)).statusCode).toBe(200);
    expect((await get('/v2/billing/other/tags/list', scanner)).statusCode).toBe(401);
  });

  it('writes each decision to the audit log, with who, what and why', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = (await readFile(join(t.dataDir, 'audit', 'decisions.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const denial = lines.find((l) => l['caller'] === 'user:mia' && l['allowed'] === false && l['resource'] === 'artifact:billing/app:restricted');
    expect(denial).toMatchObject({ action: 'pull', event: 'deny' });
    expect(String(denial!['reason'])).toContain('denied by rule "pull"');
    expect(lines.some((l) => l['caller'] === 'user:admin' && l['allowed'] === true)).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('member-password');
  });
});

describe('the tag rule', () => {
  it('a manifest PUT that sets a tag needs it, besides push', async () => {
    const locked = await startAuthTestApp({}, async (dir) => {
      // Members push, but only admins may (re)tag `release-*`.
      await writeFile(join(dir, 'policy.json'), JSON.stringify({ tag: "rule:is_admin or (rule:is_member and not 'release':%(tag)s)" }));
      return { policyFile: join(dir, 'policy.json') };
    });
    try {
      const lockedAdmin = basic('admin', locked.adminPassword);
      const pusher = await locked.addUser('pia', 'pusher-password', [{ namespace: 'team', role: 'member' }]);
      await pushImage(locked.app, pusher, 'team/app', 'v1');
      const denied = await pushImage(locked.app, pusher, 'team/app', 'release').catch((error: Error) => error);
      expect(String(denied)).toMatch(/403.*DENIED.*tag/);
      await pushImage(locked.app, lockedAdmin, 'team/app', 'release');
    } finally {
      await locked.close();
    }
  });
});
