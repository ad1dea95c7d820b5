// The part of a payload both formats share: the event's data as a subscription gets it, and
// the link to the report behind the event.
import type { DomainEvent } from '../../domain/events.js';
import type { PayloadStyle } from '../../ports/webhook-store.js';

export interface DataOptions {
  payload: PayloadStyle;
  /** Where scangate is reached, for links: `https://registry.example.com`. */
  publicUrl: string;
}

const malwareTypes = new Set<string>(['malware.found', 'artifact.released', 'artifact.quarantined', 'artifact.released_by_hand']);

/**
 * Where the report behind an event is read: the quarantine report of the digest (state,
 * verdicts, audit) for the malware gate's events; the reports API's vulnerability reports of
 * the artifact for the vulnerability scans'; none for the others.
 */
export function reportUrlOf(event: DomainEvent, publicUrl: string): string | undefined {
  if (event.digest === null) return undefined;
  const base = publicUrl.replace(/\/+$/, '');
  const scan = (event.data as { scan?: string }).scan;
  const malware = malwareTypes.has(event.type) || ((event.type === 'scan.completed' || event.type === 'scan.failed') && scan === 'malware');
  if (malware) return `${base}/admin/quarantine/${event.digest}`;
  const vulnerability = event.type === 'vulnerability.found' || scan === 'vulnerability' || (event.type === 'pull.denied' && event.data.gate === 'vulnerability');
  if (vulnerability && event.repository !== null) return `${base}/api/v1/repositories/${event.repository}/artifacts/${event.digest}/vulnerabilities`;
  return undefined;
}

/** The event's data as a payload carries it: without its report in `summary`, with a link when there is one. */
export function payloadData(event: DomainEvent, options: DataOptions): Record<string, unknown> {
  const { report, ...data } = event.data as { report?: unknown };
  const reportUrl = reportUrlOf(event, options.publicUrl);
  return {
    ...data,
    ...(reportUrl ? { reportUrl } : {}),
    ...(options.payload === 'full' && report !== undefined ? { report } : {}),
  };
}

