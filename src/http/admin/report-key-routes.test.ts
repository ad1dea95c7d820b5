// The report signing keys through the admin API, with auth off (the reports API is then open
// like the rest): made on first signature, rotated (the old key stays published and keeps
// verifying), withdrawn; never a private part in an answer; apart from the registry token keys.
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSigner } from '../../vulnerabilities/report-signer.js';
import { startAdminTestApp, type AdminTestApp } from './testing/admin-app.js';

let t: AdminTestApp;
beforeAll(async () => {
  t = await startAdminTestApp({ enabled: false });
});
afterAll(async () => t.close());

type Method = 'GET' | 'POST' | 'DELETE';
const call = (method: Method, url: string) => t.app.inject({ method, url, headers: { authorization: `Bearer ${t.adminToken}` } });
const jwks = async () => (await t.app.inject({ method: 'GET', url: '/.well-known/scangate/report-signing-keys.json' })).json();

describe('report signing keys', () => {
  it('publishes none until the first signature makes one; rotation keeps the old key published and verifying', async () => {
    expect(await jwks()).toEqual({ keys: [] });
    const signer = new ReportSigner(t.services.reportSigningKeys);
    const before = await signer.sign(new TextEncoder().encode('{"a":1}'));
    const first = (await call('GET', '/admin/report-signing-keys')).json().keys;
    expect(first).toEqual([{ kid: expect.any(String), algorithm: 'EdDSA', createdAt: expect.any(String), retiredAt: null, current: true }]);

    const rotated = await call('POST', '/admin/report-signing-keys/rotate');
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json().key).toMatchObject({ current: true });
    const published = await jwks();
    expect(published.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([rotated.json().key.kid, first[0].kid].sort());
    expect(JSON.stringify(published)).not.toMatch(/"d"/);
    expect((await compactVerify(before, createLocalJWKSet(published))).protectedHeader.kid).toBe(first[0].kid);
    // Report keys are no registry token keys, and the other way round.
    const tokenKeys = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys ?? [];
    expect(tokenKeys.map((k: { kid: string }) => k.kid)).not.toContain(first[0].kid);
    expect(await t.services.identity.getSigningKey(first[0].kid)).toBeUndefined();
  });

  it('withdraws a retired key (its reports no longer verify) but not the current one', async () => {
    const keys = (await call('GET', '/admin/report-signing-keys')).json().keys;
    const current = keys.find((k: { current: boolean }) => k.current);
    const retired = keys.find((k: { current: boolean }) => !k.current);
    const refused = await call('DELETE', `/admin/report-signing-keys/${current.kid}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors[0].message).toContain('rotate first');
    expect((await call('DELETE', `/admin/report-signing-keys/${retired.kid}`)).json()).toEqual({ deleted: retired.kid });
    expect((await call('DELETE', `/admin/report-signing-keys/${retired.kid}`)).statusCode).toBe(404);
    expect((await jwks()).keys.map((k: { kid: string }) => k.kid)).toEqual([current.kid]);
  });

  it('needs the admin credentials', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/admin/report-signing-keys/rotate' })).statusCode).toBe(401);
  });

  it('with auth off the reports API is open like the rest', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/vulnerabilities/CVE-2099-0001/artifacts' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ vulnerability: 'CVE-2099-0001', artifacts: [] });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities' })).json().errors[0].code).toBe('MANIFEST_UNKNOWN');
  });
});
