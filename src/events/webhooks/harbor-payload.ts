// Harbor's webhook payload (the HTTP notify type of Harbor 2.x), so tools built for Harbor's
// webhooks keep working: `type` (PUSH_ARTIFACT, PULL_ARTIFACT, DELETE_ARTIFACT,
// SCANNING_COMPLETED, SCANNING_FAILED), `occur_at` (Unix seconds), `operator`, and
// `event_data` with `resources[]` (digest, tag, resource_url, scan_overview) and `repository`.
// Events Harbor has no type for get one in the same style (MALWARE_FOUND, PULL_DENIED, ...).
// Everything scangate adds sits under `event_data.scangate`, which Harbor's tools ignore.
import type { DomainEvent, EventType } from '../../domain/events.js';
import { payloadData, type DataOptions } from './payload-data.js';

const harborTypes: Partial<Record<EventType, string>> = {
  'artifact.pushed': 'PUSH_ARTIFACT',
  'artifact.pulled': 'PULL_ARTIFACT',
  'artifact.deleted': 'DELETE_ARTIFACT',
  'scan.completed': 'SCANNING_COMPLETED',
  'scan.failed': 'SCANNING_FAILED',
  'scan.started': 'SCANNING_STARTED',
};

/** Harbor's report MIME type for vulnerabilities; malware verdicts get one of scangate's. */
const vulnerabilityReportType = 'application/vnd.security.vulnerability.report; version=1.1';
const malwareReportType = 'application/vnd.scangate.malware.report; version=1.0';

export function harborType(type: EventType): string {
  return harborTypes[type] ?? type.replace(/\./g, '_').toUpperCase();
}

export function harborPayload(event: DomainEvent, options: DataOptions): Record<string, unknown> {
  const occurAt = Math.floor(Date.parse(event.time) / 1000);
  const scanOverview = scanOverviewOf(event);
  return {
    type: harborType(event.type),
    occur_at: occurAt,
    operator: operatorOf(event.actor),
    event_data: {
      resources: [
        {
          digest: event.digest ?? '',
          tag: event.tag ?? '',
          resource_url: resourceUrl(event, options.publicUrl),
          ...(scanOverview ? { scan_overview: scanOverview } : {}),
        },
      ],
      repository: repositoryOf(event, occurAt),
      scangate: { id: event.id, type: event.type, ...payloadData(event, options) },
    },
  };
}

/** Harbor names users plainly and robots `robot$name`. */
function operatorOf(actor: string | null): string {
  if (actor === null) return '';
  if (actor.startsWith('user:')) return actor.slice('user:'.length);
  if (actor.startsWith('robot:')) return `robot$${actor.slice('robot:'.length)}`;
  return actor;
}

/** `host/repository:tag` or `host/repository@digest`, as Harbor writes it (no scheme). */
function resourceUrl(event: DomainEvent, publicUrl: string): string {
  if (event.type === 'bucket.object.scanned') return `s3://${event.data.bucket}/${event.data.key}`;
  const host = new URL(publicUrl).host;
  if (event.repository === null) return host;
  // A file of the file store: where it is downloaded.
  const path = (event.data as { path?: unknown }).path;
  if (typeof path === 'string') return `${host}/files/${event.repository}/-/${path}`;
  if (event.tag !== null) return `${host}/${event.repository}:${event.tag}`;
  return event.digest !== null ? `${host}/${event.repository}@${event.digest}` : `${host}/${event.repository}`;
}

function repositoryOf(event: DomainEvent, occurAt: number): Record<string, unknown> {
  const full = event.repository ?? '';
  const namespace = event.namespace ?? '';
  const name = namespace && full.startsWith(`${namespace}/`) ? full.slice(namespace.length + 1) : full;
  return { date_created: occurAt, name, namespace, repo_full_name: full, repo_type: 'private' };
}

const harborSeverity = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', unknown: 'Unknown' } as const;

/** Harbor's scan_overview, keyed by report MIME type, for the scan events. */
function scanOverviewOf(event: DomainEvent): Record<string, unknown> | undefined {
  if (event.type === 'scan.failed') {
    const type = event.data.scan === 'vulnerability' ? vulnerabilityReportType : malwareReportType;
    return { [type]: { report_id: event.id, scan_status: 'Error', end_time: event.time, scanner: { name: event.data.scanner, vendor: 'scangate', version: '' }, complete_percent: 0 } };
  }
  if (event.type !== 'scan.completed') return undefined;
  const common = { report_id: event.id, scan_status: 'Success', duration: 0, end_time: event.time, complete_percent: 100 };
  const data = event.data;
  if (data.scan === 'vulnerability') {
    const summary = Object.fromEntries(Object.entries(data.summary).map(([severity, count]) => [harborSeverity[severity as keyof typeof harborSeverity], count]));
    return {
      [vulnerabilityReportType]: {
        ...common,
        severity: data.severity === null ? 'None' : harborSeverity[data.severity],
        summary: { total: data.total, fixable: data.fixable, summary },
        scanner: { name: data.scanner, vendor: '', version: '' },
      },
    };
  }
  const found = data.report.findings.length;
  return {
    [malwareReportType]: {
      ...common,
      duration: Math.round(data.durationMs / 1000),
      severity: data.verdict === 'infected' ? 'Critical' : 'None',
      summary: { total: found, fixable: 0, summary: found > 0 ? { Critical: found } : {} },
      scanner: { name: data.scanner, vendor: 'scangate', version: data.engine },
    },
  };
}
