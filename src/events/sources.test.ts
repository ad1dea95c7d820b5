// Events emitted where things happen, in a real app: a push, a pull and a delete through /v2
// and through the file store,
// the scan gate's scans and verdicts (clean, infected, failed) and an admin's release, and
// pulls refused by the policy and by the vulnerability gate.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import type { Digest } from '../domain/digest.js';
import type { DomainEvent, DomainEventOf, EventType } from '../domain/events.js';
import { buildApp } from '../http/app.js';
import { basic, startAuthTestApp, type AuthTestApp } from '../http/auth/testing/auth-app.js';
import { pushImage, type PushedImage } from '../http/auth/testing/push-image.js';
import type { Events } from '../ports/event-sink.js';
import { gatedServices, type GatedServices } from '../quarantine/testing/gated-services.js';
import { infectedMarker } from '../quarantine/testing/test-scanner.js';

/** Every event emitted, in order. */
function recording(): Events & { seen: DomainEvent[]; of<T extends EventType>(type: T): DomainEventOf<T>[] } {
  const seen: DomainEvent[] = [];
  return {
    seen,
    emit: (event) => void seen.push(event),
    of: <T extends EventType>(type: T) => seen.filter((e) => e.type === type) as unknown as DomainEventOf<T>[],
  };
}

describe('events from the registry and the scan gate', () => {
  const events = recording();
  let gated: GatedServices;
  let app: FastifyInstance;
  const adminToken = 'test-admin-token-0123456789abcdef0123';
  let image: PushedImage;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'scangate-event-sources-'));
    const config = configSchema.parse({
      data: dataDir,
      storage: { driver: 'filesystem', fsync: false },
      auth: { enabled: false },
      scanning: { manifestWaitSeconds: 5, retry: { maxAttempts: 2, baseSeconds: 0.05, capSeconds: 0.1 }, scanners: [{ name: 'test', kind: 'command', command: ['true', '{path}'] }] },
    });
    gated = await gatedServices(config, dataDir, false, events);
    const { services, gate } = gated;
    app = await buildApp({
      ...services,
      config,
      logger: gated.logger,
      gatekeeper: gate.gatekeeper,
      admin: { token: adminToken, quarantine: { store: services.quarantine, admin: gate.admin!, blobs: services.blobs, queue: services.queue } },
      events,
    });
    gate.startWorkers();
  });
  afterAll(() => gated.close(app, { close: async () => {} }));

  it('a push: artifact.pushed, and a scan started and completed for each digest, each released', async () => {
    image = await pushImage(app, 'none', 'team/app', 'v1');
    const [pushed] = events.of('artifact.pushed');
    expect(pushed).toMatchObject({ namespace: 'team', repository: 'team/app', digest: image.digest, tag: 'v1', actor: null, data: { mediaType: 'application/vnd.oci.image.manifest.v1+json', tags: ['v1'] } });
    expect(pushed!.data.size).toBeGreaterThan(100);
    const digests = [image.config, image.layer, image.digest].sort();
    expect(events.of('scan.started').map((e) => e.digest).sort()).toEqual(digests);
    const completed = events.of('scan.completed');
    expect(completed.map((e) => e.digest).sort()).toEqual(digests);
    expect(completed[0]).toMatchObject({ repository: 'team/app', actor: 'scanner:test', data: { scanner: 'test', scan: 'malware', verdict: 'clean', report: { findings: [] } } });
    expect(events.of('artifact.released').find((e) => e.digest === image.digest)).toMatchObject({ repository: 'team/app', data: { contentKind: 'manifest', decidedBy: 'test' } });
  });

  it('a pull (not a HEAD) and a delete by tag', async () => {
    expect((await app.inject({ method: 'HEAD', url: '/v2/team/app/manifests/v1' })).statusCode).toBe(200);
    expect(events.of('artifact.pulled')).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/v2/team/app/manifests/v1' })).statusCode).toBe(200);
    expect(events.of('artifact.pulled')).toMatchObject([{ repository: 'team/app', digest: image.digest, tag: 'v1', data: { mediaType: 'application/vnd.oci.image.manifest.v1+json' } }]);
    expect((await app.inject({ method: 'DELETE', url: '/v2/team/app/manifests/v1' })).statusCode).toBe(202);
    expect(events.of('artifact.deleted')).toMatchObject([{ repository: 'team/app', digest: image.digest, tag: 'v1', data: { deleted: 'tag' } }]);
    expect((await app.inject({ method: 'DELETE', url: `/v2/team/app/manifests/${image.digest}` })).statusCode).toBe(202);
    expect(events.of('artifact.deleted')[1]).toMatchObject({ digest: image.digest, tag: null, data: { deleted: 'manifest' } });
  });

  it('a file of the file store: pushed, pulled (not a HEAD) and deleted, each with its path', async () => {
    const url = '/files/team/docs/-/guide/readme.txt';
    const put = await app.inject({ method: 'PUT', url, headers: { 'content-type': 'text/plain' }, payload: 'hello file' });
    expect([201, 202]).toContain(put.statusCode);
    const digest = put.json().digest as string;
    const fileEvents = <T extends 'artifact.pushed' | 'artifact.pulled' | 'artifact.deleted'>(type: T) => events.of(type).filter((e) => e.data.path !== undefined);
    expect(fileEvents('artifact.pushed')).toMatchObject([{ repository: 'team/docs', digest, tag: null, data: { mediaType: 'text/plain', size: 10, tags: [], path: 'guide/readme.txt' } }]);
    const deadline = Date.now() + 20_000;
    while ((await app.inject({ method: 'HEAD', url })).statusCode !== 200) {
      if (Date.now() > deadline) throw new Error('the file was not released in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(fileEvents('artifact.pulled')).toEqual([]);
    expect((await app.inject({ method: 'GET', url })).payload).toBe('hello file');
    expect(fileEvents('artifact.pulled')).toMatchObject([{ repository: 'team/docs', digest, data: { path: 'guide/readme.txt' } }]);
    expect((await app.inject({ method: 'DELETE', url })).statusCode).toBe(204);
    expect(fileEvents('artifact.deleted')).toMatchObject([{ repository: 'team/docs', digest, data: { deleted: 'file', path: 'guide/readme.txt' } }]);
  });

  it('malware: malware.found and artifact.quarantined; an admin release: artifact.released_by_hand', async () => {
    await expect(pushImage(app, 'none', 'team/bad', 'v1', { layer: `payload ${infectedMarker}` })).rejects.toThrow(/403/);
    const [found] = events.of('malware.found');
    expect(found).toMatchObject({ repository: 'team/bad', actor: 'scanner:test', data: { contentKind: 'blob', signatures: ['Test.Marker'], scanners: ['test'], action: 'quarantine' } });
    expect(events.of('scan.completed').find((e) => e.digest === found!.digest)?.data).toMatchObject({ verdict: 'infected', report: { findings: [{ signature: 'Test.Marker' }] } });
    expect(events.of('artifact.quarantined')).toMatchObject([{ digest: found!.digest, repository: 'team/bad', data: { reason: 'Test.Marker', decidedBy: 'test', previous: 'pending', action: 'quarantine' } }]);

    const release = await app.inject({ method: 'POST', url: `/admin/quarantine/${found!.digest}/release`, headers: { authorization: `Bearer ${adminToken}` }, payload: { reason: 'a test marker, not malware' } });
    expect(release.statusCode).toBe(200);
    expect(events.of('artifact.released_by_hand')).toMatchObject([{ digest: found!.digest, repository: 'team/bad', actor: 'admin', data: { contentKind: 'blob', reason: 'a test marker, not malware', previous: 'infected' } }]);
  });

  it('a scan that keeps failing: scan.failed', async () => {
    gated.scanner.scansFail = true;
    try {
      await expect(pushImage(app, 'none', 'team/broken', 'v1')).rejects.toThrow(/403/);
    } finally {
      gated.scanner.scansFail = false;
    }
    const failed = events.of('scan.failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ repository: 'team/broken', data: { scanner: 'test', scan: 'malware', error: expect.stringContaining('cannot read archive') } });
  });
});

describe('pull.denied', () => {
  const events = recording();
  let t: AuthTestApp;
  let image: PushedImage;

  beforeAll(async () => {
    t = await startAuthTestApp({}, undefined, events);
    image = await pushImage(t.app, basic('admin', t.adminPassword), 'lib/app', 'v1');
  });
  afterAll(() => t.close());

  it('by the policy: the rule, the reason and who asked', async () => {
    const outsider = await t.addUser('olga', 'outsider-password', [{ namespace: 'other', role: 'member' }]);
    const res = await t.app.inject({ method: 'GET', url: '/v2/lib/app/manifests/v1', headers: { authorization: outsider } });
    expect(res.statusCode).toBe(403);
    expect(events.of('pull.denied')).toMatchObject([{ repository: 'lib/app', tag: 'v1', digest: null, actor: 'user:olga', data: { gate: 'policy', rule: 'pull', cves: [], reason: expect.any(String) } }]);
  });

  it('by the vulnerability gate: the rule and the CVEs, the blocking findings as its report', async () => {
    const openssl = { cve: 'CVE-2024-0001', package: 'openssl', version: '3.0.1', fixedVersion: '3.0.2', severity: 'critical' as const };
    await t.vulnerabilities.recordScan(image.digest as Digest, 'trivy', [openssl], new Date());
    await t.vulnerabilities.putGate({ scope: 'lib', severity: 'high', blockUnscanned: false }, 'test');
    const res = await t.app.inject({ method: 'GET', url: `/v2/lib/app/manifests/${image.digest}`, headers: { authorization: basic('admin', t.adminPassword) } });
    expect(res.statusCode).toBe(403);
    expect(events.of('pull.denied')[1]).toMatchObject({
      repository: 'lib/app',
      digest: image.digest,
      tag: null,
      actor: 'user:admin',
      data: { gate: 'vulnerability', rule: 'vulnerability:severity', cves: ['CVE-2024-0001'], report: { blocking: [openssl] } },
    });
  });
});
