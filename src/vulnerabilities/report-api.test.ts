// Signed vulnerability reports end to end, through a REAL Harbor scanner adapter
// (test/support/harbor-adapter.ts) and a real server on PostgreSQL with the malware gate on:
// a push is scanned; the report is served by the reports API (latest, history, summary, CVE
// search), refused with a 403 naming read_report to a caller without a role; it is published
// as an OCI referrer of the image (listed by the referrers API once the malware gate has
// passed its blobs, pullable even where a gate blocks unscanned content, never sent to the
// scanner itself), and its JWS verifies with the key published over HTTP. A rescan adds a
// second referrer; the first stays. A scan on demand through the API needs trigger_scan.
import { createHash } from 'node:crypto';
import { compactVerify, createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarborTestAdapter } from '../../test/support/harbor-adapter.js';
import { hashPassword } from '../auth/passwords.js';
import { basic } from '../http/auth/testing/auth-app.js';
import { pushImage } from '../http/auth/testing/push-image.js';
import type { RunningServer } from '../main.js';
import { SqlIdentityStore } from '../metadata/sql-identity-store.js';
import { SqlVulnerabilityStore } from '../metadata/sql-vulnerability-store.js';
import { ThrowawayDatabasePool } from '../metadata/testing/pg-database.js';
import { reportArtifactType } from './report-referrer.js';
import { startAdapterServer, until, type AdapterServer } from './testing/adapter-server.js';

const databases = new ThrowawayDatabasePool('scangate_test_report_api');
let adapter: HarborTestAdapter;
let running: AdapterServer;
let server: RunningServer;
let admin: string;
let db: AdapterServer['db'];

beforeAll(async () => {
  adapter = await HarborTestAdapter.start({ version: '1.2', refreshes: 0, refreshAfterSeconds: 1 });
  running = await startAdapterServer(databases, adapter, { maxAttempts: 5 });
  ({ server, admin, db } = running);
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await adapter?.stop().catch(() => {});
  await databases.dropAll();
});

const api = (url: string, authorization = admin) => server.app.inject({ method: 'GET', url, headers: { authorization } });
const referrersOf = async (digest: string) =>
  (await api(`/v2/lib/app/referrers/${digest}?artifactType=${encodeURIComponent(reportArtifactType)}`)).json().manifests as { digest: string; artifactType: string; annotations: Record<string, string> }[];
const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('signed vulnerability reports through a real scanner adapter', () => {
  let digest: string;
  let report: { id: string; signature: string; reportDigest: string; referrer: string; report: object };

  it('push -> scan -> the reports API: latest, history, summary, CVE search', async () => {
    digest = (await pushImage(server.app, admin, 'lib/app', 'v1', { layer: 'CVE-2099-0101 critical\nCVE-2099-0102 negligible\n' })).digest;
    report = await until('a published report', async () => {
      const [latest] = (await api('/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities')).json().reports ?? [];
      return latest?.referrer ? latest : undefined;
    });
    expect(report).toMatchObject({ digest, scanner: 'marker', status: 'completed', scannerName: 'MarkerScan', scannerVersion: '0.0.1', mimeType: 'application/vnd.security.vulnerability.report; version=1.1' });
    expect(report.report).toMatchObject({ vulnerabilities: [{ id: 'CVE-2099-0101', severity: 'Critical' }, { id: 'CVE-2099-0102', severity: 'Negligible' }] });
    const history = (await api(`/api/v1/repositories/lib/app/artifacts/${digest}/vulnerabilities/history`)).json();
    expect(history.reports.map((r: { id: string }) => r.id)).toEqual([report.id]);
    const summary = (await api('/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities/summary')).json();
    expect(summary).toMatchObject({ scanned: true, severity: 'Critical', total: 2, fixable: 2, counts: { Critical: 1, Negligible: 1 } });
    const search = (await api('/api/v1/vulnerabilities/cve-2099-0101/artifacts')).json();
    expect(search.artifacts).toEqual([{ repository: 'lib/app', digest, tags: ['v1'], findings: [{ scanner: 'marker', severity: 'critical', package: 'marker-lib', version: '1.0.0', fixedVersion: '1.0.1' }] }]);
  }, 60_000);

  it('a caller without a role in the namespace is refused with a 403 naming read_report, and finds nothing', async () => {
    const identity = new SqlIdentityStore(db);
    await identity.createUser({ name: 'otto', passwordHash: await hashPassword('otto-password') }, [{ namespace: 'other', role: 'reader' }]);
    const otto = basic('otto', 'otto-password');
    const res = await api('/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities', otto);
    expect(res.statusCode).toBe(403);
    expect(res.json().errors[0].message).toContain('denied by rule "read_report"');
    expect((await api('/api/v1/vulnerabilities/CVE-2099-0101/artifacts', otto)).json().artifacts).toEqual([]);
  });

  it('the report is an OCI referrer of the image, and its signature verifies with the key published over HTTP', async () => {
    const listed = await until('the referrer listed (its blobs passed the malware gate)', async () => {
      const manifests = await referrersOf(digest);
      return manifests.length > 0 ? manifests : undefined;
    });
    expect(listed).toEqual([expect.objectContaining({ digest: report.referrer, artifactType: reportArtifactType })]);
    expect(listed[0]!.annotations).toMatchObject({ 'io.scangate.report.scanner': 'marker', 'io.scangate.report.scanner.name': 'MarkerScan', 'io.scangate.report.id': report.id });
    // Any OCI client can fetch it: over HTTP, with the registry's own credentials.
    const get = (path: string) => fetch(`${server.url}/v2/lib/app/${path}`, { headers: { authorization: admin, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const manifest = await (await get(`manifests/${report.referrer}`)).json();
    expect(manifest).toMatchObject({ artifactType: reportArtifactType, config: { mediaType: 'application/vnd.oci.empty.v1+json' }, subject: { digest } });
    const [reportLayer, jwsLayer] = manifest.layers;
    const reportBytes = Buffer.from(await (await get(`blobs/${reportLayer.digest}`)).arrayBuffer());
    const jws = await (await get(`blobs/${jwsLayer.digest}`)).text();
    expect(jwsLayer.mediaType).toBe('application/jose');
    expect(jws).toBe(report.signature);

    const jwks = await (await fetch(`${server.url}/.well-known/scangate/report-signing-keys.json`)).json();
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ['EdDSA'] });
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(protectedHeader.kid);
    const statement = JSON.parse(new TextDecoder().decode(payload));
    expect(statement).toMatchObject({ artifact: { repository: 'lib/app', digest }, scanner: { registration: 'marker', name: 'MarkerScan' } });
    expect(statement.report.digest).toBe(sha256(reportBytes));
    expect(JSON.parse(reportBytes.toString('utf8'))).toEqual(report.report);
    // The registry token keys cannot verify it.
    const tokenKeys = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
    await expect(compactVerify(jws, createLocalJWKSet(tokenKeys))).rejects.toThrow();
    // The referrer was never sent to the scanner, and a gate blocking unscanned content lets it through.
    expect(adapter.scanRequests.map((r) => r.body.artifact.digest)).not.toContain(report.referrer);
    const findings = new SqlVulnerabilityStore(db);
    await findings.putGate({ scope: 'lib', severity: 'none', blockUnscanned: true }, 'test');
    expect((await get(`manifests/${report.referrer}`)).status).toBe(200);
    await findings.deleteGate('lib');
  }, 60_000);

  it('a scan on demand through the API (trigger_scan) adds a second signed report and referrer; the first stays', async () => {
    const scanUrl = '/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities/scan';
    const post = (authorization: string) => server.app.inject({ method: 'POST', url: scanUrl, headers: { authorization } });
    const refused = await post(basic('otto', 'otto-password'));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors[0].message).toContain('denied by rule "trigger_scan"');
    expect((await api(scanUrl)).statusCode).toBe(405);
    const accepted = await post(admin);
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers['location']).toBe(`/api/v1/repositories/lib/app/artifacts/${digest}/vulnerabilities`);
    expect(accepted.json()).toMatchObject({ repository: 'lib/app', digest, scanning: [digest], jobs: [{ scanner: 'marker', digest }] });
    const listed = await until('a second referrer', async () => {
      const manifests = await referrersOf(digest);
      return manifests.length === 2 ? manifests : undefined;
    });
    expect(listed.map((m) => m.digest)).toContain(report.referrer);
    const history = (await api('/api/v1/repositories/lib/app/artifacts/v1/vulnerabilities/history')).json().reports;
    expect(history).toHaveLength(2);
    expect(new Set(history.map((r: { signature: string }) => r.signature)).size).toBe(2);
  }, 60_000);
});
