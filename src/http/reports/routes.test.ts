// The reports API over the real app with identity on (SQLite): latest reports, history pages,
// the summary, one report, the CVE search, and read_report deciding each of them — a reader of
// one namespace sees none of another's, an artifact-dependent rule refuses one artifact with a
// 403 naming the rule and drops it from the search. Reports are seeded through the stores,
// signed with the real report signer; the e2e test (src/vulnerabilities/report-api.test.ts)
// drives them through a real scanner adapter.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../domain/canonical-json.js';
import type { Digest } from '../../domain/digest.js';
import { mediaTypes } from '../../scanners/harbor/protocol.js';
import { findingsOf } from '../../vulnerabilities/adapter-scan-job.js';
import { ReportSigner, signReport } from '../../vulnerabilities/report-signer.js';
import { basic, startAuthTestApp, type AuthTestApp } from '../auth/testing/auth-app.js';
import { pushImage } from '../auth/testing/push-image.js';

let t: AuthTestApp;
let admin: string;
let reader: string;
let outsider: string;
let app1: string;
let restricted: string;
let secret: string;
const base = (repo: string, ref: string) => `/api/v1/repositories/${repo}/artifacts/${ref}/vulnerabilities`;
const info = { name: 'Trivy', version: '0.50.1', dbUpdatedAt: new Date('2026-01-02T03:04:05.000Z') };
const vuln = (id: string, severity: string, fix = '') => ({ id, package: 'openssl', version: '3.0.1', fix_version: fix, severity });

async function scanned(repository: string, digest: string, at: number, vulnerabilities: ReturnType<typeof vuln>[], scanner = 'trivy', mimeType: string = mediaTypes.report11) {
  const report = { generated_at: new Date(at).toISOString(), scanner: { name: 'Trivy', vendor: 'Aqua', version: '0.50.1' }, vulnerabilities };
  const scan = { repository, digest: digest as Digest, scanner, scannerInfo: info, createdAt: new Date(at), mimeType, report };
  await t.vulnerabilities.recordScan(digest as Digest, scanner, findingsOf(report), new Date(at));
  return t.reports.addReport({ ...scan, status: 'completed', signature: await signReport(new ReportSigner(t.reportKeys), scan) });
}

beforeAll(async () => {
  t = await startAuthTestApp({}, async (dir) => {
    // Readers read reports, except of artifacts marked restricted (admins read all).
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ read_report: "role:admin or (rule:is_reader and not 'restricted':%(x_visibility)s)" }));
    return { policyFile: join(dir, 'policy.json') };
  });
  admin = basic('admin', t.adminPassword);
  reader = await t.addUser('rex', 'reader-password', [{ namespace: 'lib', role: 'reader' }]);
  outsider = await t.addUser('otto', 'outsider-password', [{ namespace: 'other', role: 'reader' }]);
  app1 = (await pushImage(t.app, admin, 'lib/app', 'v1')).digest;
  restricted = (await pushImage(t.app, admin, 'lib/hidden', 'v1', { annotations: { x_visibility: 'restricted' } })).digest;
  secret = (await pushImage(t.app, admin, 'secret/app', 'v1')).digest;
  await scanned('lib/app', app1, 1_000, [vuln('CVE-2099-0001', 'High')]);
  await scanned('lib/app', app1, 2_000, [vuln('CVE-2099-0001', 'Critical', '3.0.2'), vuln('CVE-2099-0002', 'Negligible')]);
  await scanned('lib/app', app1, 1_800, [vuln('CVE-2099-0001', 'High')], 'trivy', mediaTypes.report10);
  await scanned('lib/app', app1, 1_500, [vuln('CVE-2099-0003', 'Medium', '1')], 'clair');
  await t.reports.addReport({ digest: app1 as Digest, repository: 'lib/app', scanner: 'clair', scannerInfo: { name: null, version: null, dbUpdatedAt: null }, createdAt: new Date(3_000), status: 'failed', error: 'adapter answered 503' });
  await scanned('lib/hidden', restricted, 1_000, [vuln('CVE-2099-0001', 'Low')]);
  await scanned('secret/app', secret, 1_000, [vuln('CVE-2099-0001', 'Low')]);
}, 60_000);
afterAll(async () => t?.close());

const get = (authorization: string | undefined, url: string) => t.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

describe('an artifact\'s reports', () => {
  it('latest: the newest completed report per scanner and MIME type, signed, and a newer failure; by tag or digest', async () => {
    const res = await get(reader, base('lib/app', 'v1'));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ repository: 'lib/app', digest: app1 });
    expect(body.reports.map((r: { scanner: string; status: string; mimeType?: string }) => [r.scanner, r.status, r.mimeType ?? null])).toEqual([
      ['clair', 'failed', null],
      ['clair', 'completed', mediaTypes.report11],
      ['trivy', 'completed', mediaTypes.report11],
      ['trivy', 'completed', mediaTypes.report10],
    ]);
    expect(body.reports[0]).toMatchObject({ error: 'adapter answered 503', scannedAt: new Date(3_000).toISOString() });
    const trivy = body.reports[2];
    expect(trivy).toMatchObject({ scannerName: 'Trivy', scannerVersion: '0.50.1', databaseUpdatedAt: '2026-01-02T03:04:05.000Z', scannedAt: new Date(2_000).toISOString(), referrer: null });
    expect(trivy.report.vulnerabilities).toHaveLength(2);
    // The signature verifies with the published keys and covers this very report.
    const jwks = (await get(undefined, '/.well-known/scangate/report-signing-keys.json')).json();
    const { payload, protectedHeader } = await compactVerify(trivy.signature, createLocalJWKSet(jwks));
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'vnd.scangate.vulnerability-report-statement.v1+json' });
    const statement = JSON.parse(new TextDecoder().decode(payload));
    expect(statement).toMatchObject({ artifact: { repository: 'lib/app', digest: app1 }, scanner: { registration: 'trivy', name: 'Trivy' }, report: { mediaType: mediaTypes.report11 } });
    expect(statement.report.digest).toBe(`sha256:${createHash('sha256').update(canonicalJson(trivy.report)).digest('hex')}`);
    expect(trivy.reportDigest).toBe(statement.report.digest);

    const byDigest = await get(reader, `${base('lib/app', app1)}?scanner=trivy&mimeType=${encodeURIComponent(mediaTypes.report10)}`);
    expect(byDigest.json().reports.map((r: { mimeType: string }) => r.mimeType)).toEqual([mediaTypes.report10]);
    expect((await get(reader, `${base('lib/app', 'v1')}?scanner=nobody`)).json().reports).toEqual([]);
  });

  it('history: every report and failure, newest first, in pages with a Link to the next', async () => {
    const first = await get(reader, `${base('lib/app', 'v1')}/history?n=3`);
    expect(first.statusCode).toBe(200);
    expect(first.json().reports.map((r: { scannedAt: string }) => Date.parse(r.scannedAt))).toEqual([3_000, 2_000, 1_800]);
    expect(first.json().reports.some((r: object) => 'report' in r)).toBe(false);
    const link = first.headers['link'] as string;
    expect(link).toMatch(/^<\/api\/v1\/repositories\/lib\/app\/artifacts\/v1\/vulnerabilities\/history\?n=3&last=[0-9a-f-]+>; rel="next"$/);
    const second = await get(reader, link.slice(1, link.indexOf('>')));
    expect(second.json().reports.map((r: { scannedAt: string }) => Date.parse(r.scannedAt))).toEqual([1_500, 1_000]);
    expect(second.headers['link']).toBeUndefined();
    const trivyOnly = await get(reader, `${base('lib/app', 'v1')}/history?scanner=trivy`);
    expect(trivyOnly.json().reports).toHaveLength(3);
  });

  it('one report by id, with its signature; not through another artifact', async () => {
    const [latest] = (await get(reader, `${base('lib/app', 'v1')}?scanner=trivy`)).json().reports;
    const res = await get(reader, `${base('lib/app', 'v1')}/reports/${latest.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: latest.id, signature: latest.signature, report: latest.report });
    const elsewhere = await get(admin, `${base('secret/app', 'v1')}/reports/${latest.id}`);
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().errors[0].message).toContain(latest.id);
  });

  it('summary: counts by severity on Harbor\'s scale, fixable counts, per scanner and together, and the top severity', async () => {
    const res = await get(reader, `${base('lib/app', 'v1')}/summary`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      repository: 'lib/app',
      digest: app1,
      scanned: true,
      severity: 'Critical',
      total: 3,
      fixable: 2,
      counts: { Critical: 1, High: 0, Medium: 1, Low: 0, Negligible: 1, Unknown: 0 },
      fixableCounts: { Critical: 1, Medium: 1 },
    });
    expect(body.scanners.map((s: { scanner: string; severity: string; total: number }) => [s.scanner, s.severity, s.total])).toEqual([
      ['clair', 'Medium', 1],
      ['trivy', 'Critical', 2],
    ]);
    expect(body.scanners[1]).toMatchObject({ scannerName: 'Trivy', databaseUpdatedAt: '2026-01-02T03:04:05.000Z', scannedAt: new Date(2_000).toISOString() });
    const unscanned = (await pushImage(t.app, admin, 'lib/fresh', 'v1')).digest;
    expect((await get(reader, `${base('lib/fresh', unscanned)}/summary`)).json()).toMatchObject({ scanned: false, severity: 'None', total: 0, scanners: [] });
  });

  it("an index's reports are its images'", async () => {
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: app1, size: 1 }] }));
    const put = await t.app.inject({ method: 'PUT', url: '/v2/lib/app/manifests/multi', headers: { authorization: admin, 'content-type': 'application/vnd.oci.image.index.v1+json' }, payload: manifest });
    expect(put.statusCode).toBe(201);
    const body = (await get(reader, base('lib/app', 'multi'))).json();
    expect(body.digest).not.toBe(app1);
    expect(body.reports.length).toBe(4);
    expect(body.reports.every((r: { digest: string }) => r.digest === app1)).toBe(true);
    expect((await get(reader, `${base('lib/app', 'multi')}/summary`)).json()).toMatchObject({ severity: 'Critical', total: 3 });
  });
});

describe('read_report decides every answer', () => {
  it('no credentials: 401 with a challenge; another namespace\'s reader: 403 naming the rule', async () => {
    const anonymous = await get(undefined, base('lib/app', 'v1'));
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBeTruthy();
    const res = await get(outsider, `${base('lib/app', 'v1')}/summary`);
    expect(res.statusCode).toBe(403);
    expect(res.json().errors[0]).toMatchObject({ code: 'DENIED', detail: { action: 'read_report', resource: 'artifact:lib/app:v1' } });
    expect(res.json().errors[0].message).toMatch(/read_report on lib\/app:v1 is denied: denied by rule "read_report"/);
  });

  it('a rule that reads the artifact refuses the restricted one, and lets admins through', async () => {
    const res = await get(reader, base('lib/hidden', 'v1'));
    expect(res.statusCode).toBe(403);
    expect(res.json().errors[0].message).toContain('read_report');
    expect(res.json().errors[0].message).toContain('x_visibility');
    expect((await get(admin, base('lib/hidden', 'v1'))).statusCode).toBe(200);
  });
});

describe('the artifacts with a CVE', () => {
  const search = (authorization: string | undefined, query = '') => get(authorization, `/api/v1/vulnerabilities/CVE-2099-0001/artifacts${query}`);

  it('lists only what the caller may read the reports of', async () => {
    const all = (await search(admin)).json();
    expect(all.vulnerability).toBe('CVE-2099-0001');
    expect(all.artifacts.map((a: { repository: string }) => a.repository)).toEqual(['lib/app', 'lib/hidden', 'secret/app']);
    expect(all.artifacts[0]).toMatchObject({ digest: app1, tags: ['v1'] });
    expect(all.artifacts[0].findings).toEqual([{ scanner: 'trivy', severity: 'critical', package: 'openssl', version: '3.0.1', fixedVersion: '3.0.2' }]);
    // The restricted artifact and the other namespace are left out, as if they were not there.
    expect((await search(reader)).json().artifacts.map((a: { repository: string }) => a.repository)).toEqual(['lib/app']);
    expect((await search(outsider)).json().artifacts).toEqual([]);
    expect((await search(undefined)).statusCode).toBe(401);
  });

  it('pages with n and last, skipping what the caller may not read, and a Link to the next page', async () => {
    const first = await search(admin, '?n=2');
    expect(first.json().artifacts.map((a: { repository: string }) => a.repository)).toEqual(['lib/app', 'lib/hidden']);
    const link = first.headers['link'] as string;
    expect(link).toBe(`</api/v1/vulnerabilities/CVE-2099-0001/artifacts?n=2&last=${encodeURIComponent(`lib/hidden@${restricted}`)}>; rel="next"`);
    const second = await get(admin, link.slice(1, link.indexOf('>')));
    expect(second.json().artifacts.map((a: { repository: string }) => a.repository)).toEqual(['secret/app']);
    expect(second.headers['link']).toBeUndefined();
    const readerPage = await search(reader, '?n=1');
    expect(readerPage.json().artifacts).toHaveLength(1);
    expect(readerPage.headers['link']).toBeUndefined();
  });

  it('refuses bad input with 400s in the registry\'s error shape', async () => {
    expect((await get(admin, '/api/v1/vulnerabilities/%20bad%20id/artifacts')).statusCode).toBe(400);
    expect((await search(admin, '?last=nonsense')).json().errors[0]).toMatchObject({ code: 'UNSUPPORTED' });
    expect((await search(admin, '?n=abc')).json().errors[0]).toMatchObject({ code: 'PAGINATION_NUMBER_INVALID' });
    expect((await get(reader, `${base('lib/app', 'v1')}/history?n=-1`)).statusCode).toBe(400);
    expect((await get(reader, base('lib/app', 'nope'))).json().errors[0]).toMatchObject({ code: 'MANIFEST_UNKNOWN' });
    expect((await get(reader, '/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities/elsewhere')).statusCode).toBe(404);
  });
});
