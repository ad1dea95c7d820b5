// The admission webhook over the real registry stack (SQLite, the filesystem store, the scan
// gate with a TestScanner and its workers), fed the AdmissionReview fixtures of
// test/fixtures/admission/ as kube-apiserver sends them: clean images allowed, pending and
// infected ones denied, the vulnerability gate and its allowlist honoured, a missing report
// denied, foreign images allowed with a warning (or denied), malformed reviews a 400, and the
// token required when configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Digest } from '../../domain/digest.js';
import { holdScans } from '../../quarantine/testing/hold-scans.js';
import { infectedMarker } from '../../quarantine/testing/test-scanner.js';
import { pushImage } from '../auth/testing/push-image.js';
import { admissionFixture as fixture, postReview, startAdmissionApp, until, type AdmissionApp } from './testing/admission-app.js';

const anyone = 'Basic eDp4';
const pinnedDigest = 'sha256:200c64e38f79a1946241bbdd352faeb94da80076ec813c8ea47bb9f2b8b49680';


let t: AdmissionApp;
const admit = (body: unknown, headers: Record<string, string> = {}, target = t) => postReview(target.app, body, headers);
/** Pushes an image and waits until the gate serves it. */
async function pushClean(repository: string, tag: string, options: { scanned?: boolean } = {}) {
  const image = await pushImage(t.app, anyone, repository, tag);
  await until(async () => (await t.app.inject({ method: 'GET', url: `/v2/${repository}/manifests/${image.digest}` })).statusCode === 200);
  if (options.scanned ?? true) await t.services.vulnerabilities.recordScan(image.digest as Digest, 'trivy', [], new Date());
  return image;
}

beforeAll(async () => {
  t = await startAdmissionApp({ warnOnTagReferences: true });
  const app = await pushClean('lib/app', 'v1');
  expect(app.digest, 'pod-digest-pinned.json pins the digest of pushImage(lib/app, v1)').toBe(pinnedDigest);
  await pushClean('lib/tools', 'v1');
});
afterAll(async () => t.stop());

describe('POST /admission/validate', () => {
  it('allows a Pod whose images (init containers too) are clean and scanned, with the same uid', async () => {
    const review = fixture('pod-init-containers');
    const { status, body } = await admit(review);
    expect(status).toBe(200);
    expect(body).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: review.request.uid,
        allowed: true,
        // warnOnTagReferences: both are named by tag.
        warnings: [expect.stringContaining('"registry.example.com/lib/tools:v1" is not pinned by digest'), expect.stringContaining(`"registry.example.com/lib/app:v1" is not pinned by digest; it is ${pinnedDigest}`)],
      },
    });
  });

  it('allows a digest-pinned Pod on the registry\'s other host name, without a warning', async () => {
    const { body } = await admit(fixture('pod-digest-pinned'));
    expect(body.response).toEqual({ uid: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', allowed: true });
  });

  it('allows an image of another registry, with a warning', async () => {
    const { body } = await admit(fixture('pod-foreign-image'));
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings).toContain('image "nginx:1.25" in container "nginx" is not served by scangate: not checked');
  });

  it('denies a CronJob whose image waits for its malware scan, then names the signature once it is found infected', async () => {
    const release = holdScans(t.scanner);
    let layer: string;
    try {
      ({ layer } = await pushImage(t.app, anyone, 'lib/held', 'v1', { layer: `payload ${infectedMarker}` }));
      const { body } = await admit(fixture('cronjob-create'));
      expect(body.response).toMatchObject({ allowed: false, status: { code: 403 } });
      expect(body.response.status.message).toMatch(/^image "registry\.example\.com\/lib\/held:v1" \(sha256:[0-9a-f]{64}\) in container "report": not scanned yet/);
    } finally {
      release();
    }
    await until(async () => (await t.services.quarantine.getState(layer as Digest))?.state === 'infected');
    const { body } = await admit(fixture('cronjob-create'));
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain(`malware found in blob or manifest ${layer}: Test.Marker (found by test)`);
  });

  it('lists every refused image of a Deployment: one never scanned for vulnerabilities, one not in scangate', async () => {
    await pushClean('lib/fresh', 'v1', { scanned: false });
    const { body } = await admit(fixture('deployment-create'));
    expect(body.response.allowed).toBe(false);
    const message: string = body.response.status.message;
    expect(message).toMatch(/^2 images are refused: /);
    expect(message).toMatch(/image "registry\.example\.com\/lib\/fresh:v1" \(sha256:[0-9a-f]{64}\) in container "api": not scanned for vulnerabilities yet/);
    expect(message).toContain('image "registry.example.com/lib/exporter:v9" in container "metrics": not found in scangate: no manifest lib/exporter:v9');
    expect(message).not.toContain('lib/tools');
  });

  it('requires no vulnerability report for a repository no adapter scans (nothing could ever scan it)', async () => {
    await pushClean('unscanned/tool', 'v1', { scanned: false });
    const review = fixture('pod-digest-pinned');
    review.request.object.spec.containers[0].image = 'registry.example.com/unscanned/tool:v1';
    const { body } = await admit(review);
    expect(body.response.allowed).toBe(true);
  });

  it('denies a Critical CVE under a critical gate, naming it; allows it while allowlisted; denies it again once the entry has expired', async () => {
    const vulnerabilities = t.services.vulnerabilities;
    await vulnerabilities.putGate({ scope: 'lib', severity: 'critical', blockUnscanned: false }, 'test');
    const digest = pinnedDigest as Digest;
    await vulnerabilities.recordScan(digest, 'trivy', [{ cve: 'CVE-2024-3094', package: 'xz-utils', version: '5.6.0', fixedVersion: '5.6.1', severity: 'critical' }], new Date());
    try {
      const denied = await admit(fixture('pod-digest-pinned'));
      expect(denied.body.response.allowed).toBe(false);
      expect(denied.body.response.status.message).toBe(
        `image "127.0.0.1:5000/lib/app@${pinnedDigest}" (${pinnedDigest}) in container "app": denied by the vulnerability gate: CVE-2024-3094 (critical, xz-utils 5.6.0) reaches the gate's threshold critical for namespace lib; allowlist it or fix it`,
      );
      const entry = await vulnerabilities.addAllowlistEntry({ cve: 'CVE-2024-3094', scope: { kind: 'repository', repository: 'lib/app' }, expiresAt: new Date(Date.now() + 3_600_000), reason: 'not reachable', author: 'test' });
      expect((await admit(fixture('pod-digest-pinned'))).body.response.allowed).toBe(true);
      await vulnerabilities.deleteAllowlistEntry(entry.id);
      await vulnerabilities.addAllowlistEntry({ cve: 'CVE-2024-3094', scope: { kind: 'repository', repository: 'lib/app' }, expiresAt: new Date(Date.now() - 1000), reason: 'lapsed', author: 'test' });
      expect((await admit(fixture('pod-digest-pinned'))).body.response.status.message).toContain('CVE-2024-3094 (critical');
    } finally {
      await vulnerabilities.deleteGate('lib');
    }
  });

  it('allows a DELETE without judging', async () => {
    const { body } = await admit(fixture('pod-delete'));
    expect(body.response).toEqual({ uid: 'b7a6f5e4-d3c2-4b1a-9f8e-7d6c5b4a3f2e', allowed: true });
  });

  it('answers a malformed review with a 400 that says what is wrong', async () => {
    const good = fixture('pod-init-containers');
    const cases: [unknown, RegExp][] = [
      [{}, /apiVersion/],
      [{ ...good, apiVersion: 'admission.k8s.io/v1beta1' }, /only admission\.k8s\.io\/v1 is supported/],
      [{ ...good, request: { ...good.request, uid: undefined } }, /request\.uid/],
      [{ ...good, request: { ...good.request, operation: 'PATCH' } }, /request\.operation/],
      [{ ...good, request: { ...good.request, object: { spec: { containers: [{ image: 'x' }] } } } }, /request\.object is not a Pod: spec\.containers\.0\.name/],
    ];
    for (const [review, message] of cases) {
      const { status, body } = await admit(review);
      expect(status).toBe(400);
      expect(body.errors[0].message).toMatch(message);
    }
    const res = await t.app.inject({ method: 'POST', url: '/admission/validate', headers: { 'content-type': 'application/json' }, payload: '{"kind": ' });
    expect(res.statusCode).toBe(400);
  });

  it('counts decisions by reason', async () => {
    const { body } = await t.metrics.render();
    expect(body).toContain('scangate_admission_reviews_total{decision="allowed",reason="passed"}');
    expect(body).toContain('scangate_admission_reviews_total{decision="allowed",reason="not_judged"} 1');
    expect(body).toContain('scangate_admission_reviews_total{decision="denied",reason="malware_pending"} 1');
    expect(body).toContain('scangate_admission_reviews_total{decision="denied",reason="malware_infected"} 1');
    expect(body).toContain('scangate_admission_reviews_total{decision="denied",reason="vulnerability_gate"} 2');
  });
});

describe('with foreignImages: deny and a token', () => {
  const token = 'admission-token-0123456789abcdef';
  let strict: AdmissionApp;
  beforeAll(async () => {
    strict = await startAdmissionApp({ foreignImages: 'deny', token });
  });
  afterAll(async () => strict.stop());

  it('refuses a caller without the token, or with another one', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Basic ${token}` }, { authorization: `Bearer ${token}x` }]) {
      const { status, body } = await admit(fixture('pod-foreign-image'), headers, strict);
      expect(status).toBe(401);
      expect(body.errors[0].code).toBe('UNAUTHORIZED');
    }
  });

  it('denies an image of another registry', async () => {
    const { status, body } = await admit(fixture('pod-foreign-image'), { authorization: `Bearer ${token}` }, strict);
    expect(status).toBe(200);
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toContain(
      'image "nginx:1.25" in container "nginx": docker.io/library/nginx:1.25 is not served by scangate (registry.example.com, 127.0.0.1:5000), and admission.foreignImages is deny',
    );
  });
});
