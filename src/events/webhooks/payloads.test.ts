import { describe, expect, it } from 'vitest';
import { newEvent, type DomainEvent } from '../../domain/events.js';
import { vulnerabilityScanCompleted } from '../../vulnerabilities/scan-events.js';
import { renderPayload, type RenderOptions } from './payloads.js';

const digest = `sha256:${'c'.repeat(64)}`;
const at = new Date('2030-05-01T12:00:00.000Z');
const publicUrl = 'https://registry.example.com';
const pushed = newEvent('artifact.pushed', { repository: 'team/app', digest, tag: 'v1', actor: 'user:alice' }, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1234, tags: ['v1', 'latest'] }, at);
const [scanned, found] = vulnerabilityScanCompleted({ repository: 'team/app', digest, scanner: 'trivy' }, [
  { cve: 'CVE-2030-1', severity: 'critical', package: 'openssl', version: '3.0.0', fixedVersion: '3.0.9' },
  { cve: 'CVE-2030-2', severity: 'low', package: 'zlib', version: '1.2', fixedVersion: null },
]) as [DomainEvent, DomainEvent];

function render(event: DomainEvent, options: Partial<RenderOptions> = {}) {
  const rendered = renderPayload(event, { format: 'cloudevents', payload: 'summary', publicUrl, ...options });
  return { contentType: rendered.contentType, body: JSON.parse(rendered.body) as Record<string, any> };
}

describe('webhook payloads', () => {
  it('renders CloudEvents 1.0 in structured mode, with the envelope in data', () => {
    const { contentType, body } = render(pushed);
    expect(contentType).toBe('application/cloudevents+json');
    expect(body).toEqual({
      specversion: '1.0',
      id: pushed.id,
      source: publicUrl,
      type: 'io.scangate.artifact.pushed',
      time: '2030-05-01T12:00:00.000Z',
      subject: `team/app@${digest}`,
      datacontenttype: 'application/json',
      data: { namespace: 'team', repository: 'team/app', digest, tag: 'v1', actor: 'user:alice', mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1234, tags: ['v1', 'latest'] },
    });
  });

  it('sends the report with `full` and a link to it with `summary`', () => {
    const summary = render(found!).body.data;
    expect(summary).toMatchObject({ scanner: 'trivy', total: 2, severity: 'critical', summary: { critical: 1, low: 1 }, reportUrl: `${publicUrl}/api/v1/repositories/team/app/artifacts/${digest}/vulnerabilities` });
    expect(summary).not.toHaveProperty('report');
    const full = render(found!, { payload: 'full' }).body.data;
    expect(full.report.vulnerabilities.map((v: { cve: string }) => v.cve)).toEqual(['CVE-2030-1', 'CVE-2030-2']);
    const quarantined = newEvent('artifact.quarantined', { repository: 'team/app', digest, actor: 'scanner:clamav' }, { contentKind: 'blob', reason: 'Eicar', decidedBy: 'clamav', action: 'quarantine', previous: null }, at);
    expect(render(quarantined).body.data.reportUrl).toBe(`${publicUrl}/admin/quarantine/${digest}`);
    expect(render(pushed).body.data).not.toHaveProperty('reportUrl');
  });

  it("renders Harbor's payload: type, occur_at, operator, resources and repository", () => {
    const { contentType, body } = render(pushed, { format: 'harbor' });
    expect(contentType).toBe('application/json');
    expect(body).toMatchObject({
      type: 'PUSH_ARTIFACT',
      occur_at: Math.floor(at.getTime() / 1000),
      operator: 'alice',
      event_data: {
        resources: [{ digest, tag: 'v1', resource_url: 'registry.example.com/team/app:v1' }],
        repository: { date_created: Math.floor(at.getTime() / 1000), name: 'app', namespace: 'team', repo_full_name: 'team/app', repo_type: 'private' },
        scangate: { id: pushed.id, type: 'artifact.pushed', tags: ['v1', 'latest'] },
      },
    });
    expect(body.event_data.resources[0]).not.toHaveProperty('scan_overview');
  });

  it("maps scans to Harbor's SCANNING_COMPLETED and SCANNING_FAILED with a scan_overview", () => {
    const completed = render(scanned!, { format: 'harbor' }).body;
    expect(completed.type).toBe('SCANNING_COMPLETED');
    expect(completed.operator).toBe('scanner:trivy');
    expect(completed.event_data.resources[0].resource_url).toBe(`registry.example.com/team/app@${digest}`);
    expect(completed.event_data.resources[0].scan_overview['application/vnd.security.vulnerability.report; version=1.1']).toMatchObject({
      scan_status: 'Success',
      severity: 'Critical',
      summary: { total: 2, fixable: 1, summary: { Critical: 1, Low: 1 } },
      scanner: { name: 'trivy' },
      complete_percent: 100,
    });
    const failed = newEvent('scan.failed', { repository: 'team/app', digest, actor: 'scanner:clamav' }, { scanner: 'clamav', scan: 'malware', contentKind: 'blob', error: 'timeout' }, at);
    const failedBody = render(failed, { format: 'harbor' }).body;
    expect(failedBody.type).toBe('SCANNING_FAILED');
    expect(failedBody.event_data.resources[0].scan_overview['application/vnd.scangate.malware.report; version=1.0'].scan_status).toBe('Error');
    const robotPull = newEvent('artifact.pulled', { repository: 'lib', tag: 'v2', digest, actor: 'robot:ci' }, { mediaType: 'x' }, at);
    expect(render(robotPull, { format: 'harbor' }).body).toMatchObject({ type: 'PULL_ARTIFACT', operator: 'robot$ci', event_data: { repository: { name: 'lib', namespace: 'lib', repo_full_name: 'lib' } } });
    const denied = newEvent('pull.denied', { repository: 'team/app', digest, actor: 'user:bob' }, { gate: 'policy', rule: 'pull', reason: 'no role', cves: [] }, at);
    expect(render(denied, { format: 'harbor' }).body.type).toBe('PULL_DENIED');
  });

  it('names a bucket object as its subject and resource', () => {
    const object = newEvent('bucket.object.scanned', {}, { bucket: 'uploads', key: 'a/b.zip', etag: '"e"', size: 3, verdict: 'infected', signatures: ['Eicar'], scanners: ['clamav'], action: 'deleted' }, at);
    expect(render(object).body).toMatchObject({ subject: 'uploads/a/b.zip', data: { namespace: null, repository: null, bucket: 'uploads', verdict: 'infected' } });
    expect(render(object, { format: 'harbor' }).body.event_data.resources[0].resource_url).toBe('s3://uploads/a/b.zip');
  });
});
