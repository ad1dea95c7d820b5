// Walks every route the app registers (app.registeredRoutes), not a list kept by hand: with
// auth on and no credentials, each must refuse with a 401 and a challenge, except the few
// that are public on purpose (named below, each with why). A route added later without a
// guard fails this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminTestApp, type AdminTestApp } from '../admin/testing/admin-app.js';

/** Public on purpose. Everything else needs credentials. */
const publicRoutes: Record<string, string> = {
  'GET /healthz': 'liveness probes carry no credentials',
  'GET /readyz': 'readiness probes carry no credentials',
  'GET /metrics': 'Prometheus scrapes carry no credentials (bind it to a private network)',
  'GET /.well-known/jwks.json': 'public keys, for verifiers of registry tokens',
  'GET /auth/jwks': 'public keys, for verifiers of registry tokens',
  'GET /.well-known/scangate/report-signing-keys.json': 'public keys, for verifiers of vulnerability report signatures',
};

const digest = `sha256:${'ab'.repeat(32)}`;

/** A concrete URL for a route pattern: params and wildcards filled with plausible values. */
function concrete(url: string, method = 'GET'): string {
  // The one POST under /api/v1/repositories/ is a scan on demand.
  if (method === 'POST' && url === '/api/v1/repositories/*') return '/api/v1/repositories/a/x/artifacts/v1/vulnerabilities/scan';
  return url
    .replace(/:digest/g, digest)
    .replace(/:id/g, '0c4b2d3e-1111-4222-8333-944455556666')
    .replace(/:[a-zA-Z]+/g, 'sample')
    .replace(/\/v2\/\*$/, '/v2/a/x/tags/list')
    .replace(/\/api\/v1\/repositories\/\*$/, '/api/v1/repositories/a/x/artifacts/v1/properties')
    .replace(/\/files\/\*$/, '/files/a/x/-/dist/app.tar.gz')
    .replace(/\*$/, 'sample');
}

let t: AdminTestApp;
beforeAll(async () => {
  t = await startAdminTestApp({ enabled: true });
});
afterAll(async () => t.close());

describe('every registered route, with auth on and no credentials', () => {
  it('covers the areas the registry serves', () => {
    const urls = t.app.registeredRoutes.map((r) => r.url);
    for (const prefix of ['/v2/', '/admin/users', '/admin/quarantine', '/admin/vulnerability-gates', '/admin/cve-allowlist', '/admin/remotes', '/admin/vulnerability-scanners', '/admin/vulnerability-scans', '/admin/vulnerability-scan-schedules', '/admin/report-signing-keys', '/api/v1/repositories/', '/api/v1/vulnerabilities/', '/files/', '/token']) {
      expect(urls.some((u) => u.startsWith(prefix)), prefix).toBe(true);
    }
  });

  it('refuses each with 401 and a challenge, or is public on purpose', async () => {
    const seen = new Set<string>();
    for (const { method, url } of t.app.registeredRoutes) {
      if (method === 'OPTIONS') continue;
      const key = `${method} ${url}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Fastify adds a HEAD for each GET: public when its GET is.
      if (publicRoutes[key.replace(/^HEAD /, 'GET ')] !== undefined) continue;
      const res = await t.app.inject({ method: method as 'GET', url: concrete(url, method), ...(['POST', 'PUT', 'PATCH'].includes(method) ? { payload: '{}', headers: { 'content-type': 'application/json' } } : {}) });
      expect(res.statusCode, `${key} -> ${concrete(url, method)}: ${res.body}`).toBe(401);
      expect(res.headers['www-authenticate'], key).toBeTruthy();
    }
    expect(seen.size).toBeGreaterThan(25);
  });

  it('serves the public ones without credentials', async () => {
    for (const key of Object.keys(publicRoutes)) {
      const [method, url] = key.split(' ') as ['GET', string];
      if (!t.app.registeredRoutes.some((r) => r.method === method && r.url === url)) continue;
      expect((await t.app.inject({ method, url })).statusCode, key).toBeLessThan(500);
    }
  });
});
