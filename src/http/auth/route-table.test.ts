// Walks the route table (actions.ts) with auth on and no credentials: every endpoint kind
// and every method the /v2 route accepts, plus the API root, paths that name no endpoint,
// /token and /admin, must refuse with a 401 and a challenge — never a 2xx, a 404 or a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateApp, type GateApp } from '../../quarantine/testing/gate-app.js';
import { parseOciPath } from '../oci/paths.js';
import { accessNeeded, ociMethods, routeActions } from './actions.js';
import { basic, startAuthTestApp, type AuthTestApp } from './testing/auth-app.js';

const digest = `sha256:${'ab'.repeat(32)}`;
const samplePaths: Record<keyof typeof routeActions, string[]> = {
  catalog: ['_catalog'],
  tags: ['a/x/tags/list'],
  manifest: ['a/x/manifests/latest', `a/x/manifests/${digest}`],
  uploads: ['a/x/blobs/uploads/', `a/x/blobs/uploads/?mount=${digest}&from=b/y`],
  upload: ['a/x/blobs/uploads/0c4b2d3e-1111-4222-8333-944455556666'],
  blob: [`a/x/blobs/${digest}`],
  referrers: [`a/x/referrers/${digest}`],
};

let t: AuthTestApp;
beforeAll(async () => {
  t = await startAuthTestApp();
});
afterAll(async () => t.close());

describe('the route table', () => {
  it('has sample paths that parse to each endpoint kind', () => {
    for (const [kind, paths] of Object.entries(samplePaths)) {
      for (const path of paths) expect(parseOciPath(path.split('?')[0]!)?.kind).toBe(kind);
    }
  });

  it('names pull and push for a push and the source repository for a mount', () => {
    expect(accessNeeded(parseOciPath('a/x/blobs/uploads/'), 'POST')).toEqual({ type: 'repository', name: 'a/x', actions: ['pull', 'push'] });
    expect(accessNeeded(parseOciPath('a/x/blobs/uploads/'), 'POST', { mount: digest, from: 'b/y' })).toMatchObject({ from: 'b/y' });
    expect(accessNeeded(parseOciPath(`a/x/manifests/v1`), 'DELETE')).toEqual({ type: 'repository', name: 'a/x', actions: ['delete'] });
    expect(accessNeeded(undefined, 'GET')).toEqual({ type: 'authenticated' });
  });
});

describe('with auth on and no credentials', () => {
  const cases = Object.entries(samplePaths).flatMap(([kind, paths]) =>
    paths.flatMap((path) => ociMethods.map((method) => ({ kind, path, method, known: method in routeActions[kind as keyof typeof routeActions] }))),
  );

  it.each(cases)('$method /v2/$path refuses with 401', async ({ kind, path, method, known }) => {
    const res = await t.app.inject({ method, url: `/v2/${path}` });
    expect(res.statusCode).toBe(401);
    const challenge = res.headers['www-authenticate'] as string;
    expect(challenge).toMatch(/^Bearer realm="http:\/\/localhost(:\d+)?\/token",service="scangate"/);
    if (known && kind === 'catalog') expect(challenge).toContain('scope="registry:catalog:*"');
    else if (known) expect(challenge).toContain('scope="repository:a/x:');
    if (known && path.includes('from=')) expect(challenge).toContain('repository:b/y:pull');
    expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
    if (method !== 'HEAD') expect(res.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
  });

  it.each(['/v2/', '/v2/nothing/here', '/v2/BAD%20NAME/tags/list', '/v2/a/x/manifests/'])('GET %s refuses with 401', async (url) => {
    for (const method of ['GET', 'HEAD', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    }
  });

  it('refuses /token without credentials and with wrong ones, with a Basic challenge', async () => {
    for (const authorization of [undefined, basic('admin', 'wrong-password'), basic('nobody', 'x'), 'Bearer abc', 'Basic !!!']) {
      const res = await t.app.inject({ method: 'GET', url: '/token?service=scangate&scope=repository:a/x:pull', headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
      expect(res.body).not.toContain('token":');
    }
  });

  it('refuses a malformed Authorization header on /v2 with 401, not 5xx', async () => {
    for (const authorization of ['Basic', 'Basic !!!', 'Digest abc', 'Bearer', 'Bearer a b', basic('admin', ''), basic('', 'x')]) {
      const res = await t.app.inject({ method: 'GET', url: '/v2/a/x/tags/list', headers: { authorization } });
      expect(res.statusCode).toBe(401);
    }
  });
});

describe('the admin API with no credentials', () => {
  let gate: GateApp;
  beforeAll(async () => {
    gate = await startGateApp();
  });
  afterAll(async () => gate.close());

  it.each([
    ['GET', '/admin/quarantine'],
    ['GET', `/admin/quarantine/${digest}`],
    ['GET', `/admin/quarantine/${digest}/content`],
    ['POST', `/admin/quarantine/${digest}/rescan`],
    ['POST', `/admin/quarantine/${digest}/release`],
    ['GET', '/admin/audit'],
    ['GET', '/admin/jobs'],
  ] as const)('%s %s refuses with 401', async (method, url) => {
    const res = await gate.app.inject({ method, url });
    expect(res.statusCode).toBe(401);
  });
});
