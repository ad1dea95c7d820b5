// Vulnerability scans through a REAL Harbor scanner adapter (test/support/harbor-adapter.ts):
// a push queues a scan; the adapter pulls the image back from scangate over HTTP with the token
// it was given, finds the CVE markers in a layer, and answers 302 + Refresh-After before its
// report; the findings reach the vulnerability gate, which blocks the pull naming the CVE.
// Faults: the adapter down (retried, then scanned once back), refusing the scan (422, recorded),
// answering garbage (recorded), losing the scan (404: scanned again). Every scan request the
// client sends is checked against the adapter API's OpenAPI schema. A rescan on demand.
// Registrations of the admin API: a scanner registered there and chosen by a namespace scans
// that namespace's pushes; another process on the database sees it within its reload interval;
// a scan job of a scanner no longer registered ends, dead with the reason, not retried.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarborTestAdapter } from '../../test/support/harbor-adapter.js';
import type { Digest } from '../domain/digest.js';
import { pushImage } from '../http/auth/testing/push-image.js';
import { SqlJobQueue } from '../jobs/sql-job-queue.js';
import type { RunningServer } from '../main.js';
import { SqlVulnerabilityReportStore } from '../metadata/sql-vulnerability-report-store.js';
import { SqlVulnerabilityStore } from '../metadata/sql-vulnerability-store.js';
import { ThrowawayDatabasePool } from '../metadata/testing/pg-database.js';
import { SqlMetadataStore } from '../metadata/sql-metadata-store.js';
import { SqlScannerRegistrationStore } from '../metadata/sql-scanner-registration-store.js';
import { AdapterRegistry } from './adapter-registry.js';
import { adapterScanJob, adapterScanJobKind } from './adapter-scan-job.js';
import { queueRescan } from './rescan.js';
import { startAdapterServer, until, type AdapterServer } from './testing/adapter-server.js';

const databases = new ThrowawayDatabasePool('scangate_test_adapter_scans');
let adapter: HarborTestAdapter;
let running: AdapterServer;
let server: RunningServer;
let dataDir: string;
let admin: string;
let db: AdapterServer['db'];
let findings: SqlVulnerabilityStore;
let reports: SqlVulnerabilityReportStore;
let jobs: SqlJobQueue;

beforeAll(async () => {
  adapter = await HarborTestAdapter.start({ version: '1.2', refreshes: 2, refreshAfterSeconds: 1 });
  running = await startAdapterServer(databases, adapter, { maxAttempts: 8 });
  ({ server, dataDir, admin, db } = running);
  findings = new SqlVulnerabilityStore(db);
  reports = new SqlVulnerabilityReportStore(db);
  jobs = new SqlJobQueue(db);
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await adapter?.stop().catch(() => {});
  await databases.dropAll();
});

const reportsOf = (digest: string) => reports.reportHistory(digest as Digest);
const completedReport = (digest: string) => until('a completed report', async () => (await reportsOf(digest)).find((r) => r.status === 'completed'));
const failedReport = (digest: string) => until('a failed scan', async () => (await reportsOf(digest)).find((r) => r.status === 'failed'));
const jobOf = async (digest: string) => (await jobs.list({ kind: adapterScanJobKind, limit: 1000 })).find((job) => JSON.stringify(job.payload).includes(digest));

describe('vulnerability scans through a Harbor scanner adapter', () => {
  let digest: string;

  it('scans a pushed image: the adapter pulls it back with its token, the findings are stored with the report', async () => {
    digest = (await pushImage(server.app, admin, 'lib/app', 'v1', { layer: 'openssl 3.0.1\nCVE-2099-0001 critical\nCVE-2099-0002 Negligible\n' })).digest;
    const report = await completedReport(digest);
    expect(report).toMatchObject({ scanner: 'marker', repository: 'lib/app', mimeType: 'application/vnd.security.vulnerability.report; version=1.1' });
    expect(report.scannerInfo).toEqual({ name: 'MarkerScan', version: '0.0.1', dbUpdatedAt: new Date('2026-01-02T03:04:05Z') });
    const stored = await findings.findingsFor([digest as Digest]);
    expect(stored.map((f) => [f.cve, f.severity, f.package, f.fixedVersion])).toEqual([
      ['CVE-2099-0001', 'critical', 'marker-lib', '1.0.1'],
      ['CVE-2099-0002', 'unknown', 'marker-lib', '1.0.1'],
    ]);
    // It really pulled the manifest and both blobs it names from scangate, with the token.
    const pulled = adapter.pulls.filter((p) => p.url.includes('/v2/lib/app/'));
    expect(pulled.length).toBeGreaterThanOrEqual(2);
    expect(pulled.every((p) => p.status === 200)).toBe(true);
    const request = adapter.scanRequests.find((r) => r.body.artifact.digest === digest)!;
    expect(request.body.registry.url).toBe(server.url);
    expect(request.body.registry.authorization).toMatch(/^Bearer /);
    expect(request.body.artifact).toEqual({ repository: 'lib/app', digest, mime_type: 'application/vnd.oci.image.manifest.v1+json' });
    expect(request.contentType).toBe('application/vnd.scanner.adapter.scan.request+json; version=1.1');
    expect(adapter.problems).toEqual([]);
  }, 40_000);

  it('a vulnerability gate at high then blocks the pull with a 403 naming the CVE', async () => {
    await findings.putGate({ scope: 'lib', severity: 'high', blockUnscanned: false }, 'test');
    const res = await server.app.inject({ method: 'GET', url: '/v2/lib/app/manifests/v1', headers: { authorization: admin } });
    expect(res.statusCode).toBe(403);
    expect(res.json().errors[0].message).toContain('CVE-2099-0001');
    await findings.deleteGate('lib');
  });

  it("the adapter's token pulls its repository and no other", async () => {
    const other = await pushImage(server.app, admin, 'other/app', 'v1');
    const authorization = adapter.scanRequests.find((r) => r.body.artifact.digest === digest)!.body.registry.authorization!;
    const own = await fetch(`${server.url}/v2/lib/app/manifests/${digest}`, { headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(own.status).toBe(200);
    const foreign = await fetch(`${server.url}/v2/other/app/manifests/${other.digest}`, { headers: { authorization, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect([401, 403]).toContain(foreign.status);
    const push = await fetch(`${server.url}/v2/lib/app/blobs/uploads/`, { method: 'POST', headers: { authorization } });
    expect([401, 403]).toContain(push.status);
  }, 40_000);

  it('a rescan on demand adds a report to the history; the last findings keep serving the gate meanwhile', async () => {
    await findings.putGate({ scope: 'lib', severity: 'high', blockUnscanned: false }, 'test');
    const metadata = new SqlMetadataStore(db, { ownsDatabase: false });
    const queued = await queueRescan({ metadata, queue: jobs, scannersFor: () => ['marker'], maxAttempts: 3 }, 'lib/app', 'v1');
    expect(queued.jobs).toMatchObject([{ scanner: 'marker', digest, deduplicated: false }]);
    const pull = () => server.app.inject({ method: 'GET', url: '/v2/lib/app/manifests/v1', headers: { authorization: admin } });
    expect((await pull()).statusCode).toBe(403);
    await until('a second report', async () => ((await reportsOf(digest)).filter((r) => r.status === 'completed').length === 2 ? true : undefined));
    expect((await pull()).statusCode).toBe(403);
    await findings.deleteGate('lib');
  }, 40_000);

  it('an adapter that is down: the scan is retried, the error recorded on the job, and it completes once the adapter is back', async () => {
    await adapter.stop();
    const down = (await pushImage(server.app, admin, 'lib/down', 'v1', { layer: 'CVE-2099-0003 high' })).digest;
    const job = await until('a retried scan job', async () => {
      const found = await jobOf(down);
      return found && found.attempts >= 2 ? found : undefined;
    });
    expect(job.lastError).toMatch(/marker is unreachable/);
    await adapter.listen();
    await completedReport(down);
    expect((await findings.findingsFor([down as Digest])).map((f) => f.cve)).toEqual(['CVE-2099-0003']);
  }, 60_000);

  it('a refused scan (422) is final and recorded, not retried', async () => {
    adapter.fault = 'reject-scans';
    const refused = (await pushImage(server.app, admin, 'lib/refused', 'v1')).digest;
    const failed = await failedReport(refused);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.status === 'failed' && failed.error).toMatch(/422.*not supported/);
    const job = await until('the dead job', async () => ((await jobOf(refused))?.state === 'dead' ? jobOf(refused) : undefined));
    expect(job?.attempts).toBe(1);
    adapter.fault = 'none';
  }, 40_000);

  it('garbage from the adapter is a recorded error, and the registry keeps serving', async () => {
    adapter.fault = 'garbage-reports';
    const garbage = (await pushImage(server.app, admin, 'lib/garbage', 'v1')).digest;
    const failed = await failedReport(garbage);
    expect(failed.status === 'failed' && failed.error).toMatch(/not the adapter API: vulnerabilities/);
    expect(await findings.scannedDigests([garbage as Digest])).toEqual(new Set());
    adapter.fault = 'none';
    const res = await server.app.inject({ method: 'GET', url: '/v2/lib/garbage/manifests/v1', headers: { authorization: admin } });
    expect(res.statusCode).toBe(200);
  }, 40_000);

  it('a lost scan (404 on the report) is requested again and completes', async () => {
    adapter.fault = 'lose-next-report';
    const before = adapter.scanRequests.length;
    const lost = (await pushImage(server.app, admin, 'lib/lost', 'v1', { layer: 'CVE-2099-0004 medium' })).digest;
    await completedReport(lost);
    expect(adapter.scanRequests.slice(before).filter((r) => r.body.artifact.digest === lost)).toHaveLength(2);
    expect((await findings.findingsFor([lost as Digest])).map((f) => [f.cve, f.severity])).toEqual([['CVE-2099-0004', 'medium']]);
    expect(adapter.problems).toEqual([]);
  }, 40_000);
});

describe('scanners registered through the admin API', () => {
  const adminApi = async (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    return server.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
  };

  it('scan the pushes of the namespace that chose them, and another process follows within its reload interval', async () => {
    const elsewhere = await AdapterRegistry.open({ configured: [], store: new SqlScannerRegistrationStore(db), logger: pino({ level: 'silent' }), reloadIntervalMs: 100 });
    try {
      expect((await adminApi('POST', '/admin/vulnerability-scanners', { name: 'registered', url: adapter.url })).statusCode).toBe(201);
      expect((await adminApi('PUT', '/admin/vulnerability-scanners/namespaces/chosen', { scanners: ['registered'] })).statusCode).toBe(200);
      const pushed = (await pushImage(server.app, admin, 'chosen/app', 'v1', { layer: 'CVE-2099-0006 low' })).digest;
      const report = await completedReport(pushed);
      expect(report.scanner).toBe('registered');
      expect((await jobs.list({ kind: adapterScanJobKind, limit: 1000 })).filter((j) => JSON.stringify(j.payload).includes(pushed)).map((j) => (j.payload as { scanner: string }).scanner)).toEqual(['registered']);
      await until('the other process to see it', async () => (elsewhere.scannersFor('chosen/app').join() === 'registered' ? true : undefined), 10_000);
      // marker belongs to the first server's config file, not to this process's.
      expect(elsewhere.scannersFor('lib/app')).toEqual(['registered']);
    } finally {
      await elsewhere.close();
    }
  }, 40_000);

  it("ends the queued scans of a scanner no longer registered, recording why", async () => {
    // The scanner is looked up before anything else: the image need not exist.
    const digest = `sha256:${'0'.repeat(64)}` as Digest;
    const queued = await jobs.enqueue(adapterScanJob({ repository: 'lib/ghost', digest, scanner: 'deleted' }, 5));
    const job = await until('the dead job', async () => {
      const found = await jobs.get(queued.id);
      return found?.state === 'dead' ? found : undefined;
    });
    expect(job).toMatchObject({ attempts: 1, lastError: expect.stringContaining('no vulnerability scanner named deleted is registered any more') });
  }, 40_000);
});

