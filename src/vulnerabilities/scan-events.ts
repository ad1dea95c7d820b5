// The events of a vulnerability scan through a scanner adapter (adapter-scan-job.ts): started,
// completed (with the severity summary Harbor's SCANNING_COMPLETED carries, and the findings
// as its report), vulnerability.found when there are findings, failed when it gave up.
import { newEvent, type DomainEvent, type SeverityCounts } from '../domain/events.js';
import type { VulnerabilityFinding } from '../ports/vulnerability-store.js';
import { mostSevere, type Severity } from './severity.js';

export interface ScannedArtifact {
  repository: string;
  digest: string;
  scanner: string;
}

function subject(scan: ScannedArtifact) {
  return { repository: scan.repository, digest: scan.digest, actor: `scanner:${scan.scanner}` };
}

export function vulnerabilityScanStarted(scan: ScannedArtifact): DomainEvent {
  return newEvent('scan.started', subject(scan), { scanner: scan.scanner, scan: 'vulnerability', contentKind: 'manifest' });
}

export function vulnerabilityScanFailed(scan: ScannedArtifact, error: string): DomainEvent {
  return newEvent('scan.failed', subject(scan), { scanner: scan.scanner, scan: 'vulnerability', contentKind: 'manifest', error });
}

/** scan.completed, and vulnerability.found when the scan found anything. */
export function vulnerabilityScanCompleted(scan: ScannedArtifact, findings: readonly VulnerabilityFinding[]): DomainEvent[] {
  const summary: SeverityCounts = {};
  let severity: Severity | null = null;
  for (const finding of findings) {
    summary[finding.severity] = (summary[finding.severity] ?? 0) + 1;
    severity = severity === null ? finding.severity : mostSevere(severity, finding.severity);
  }
  const vulnerabilities = findings.map(({ cve, severity, package: pkg, version, fixedVersion }) => ({ cve, severity, package: pkg, version, fixedVersion }));
  const total = findings.length;
  const fixable = findings.filter((f) => f.fixedVersion !== null).length;
  const completed = newEvent('scan.completed', subject(scan), { scanner: scan.scanner, scan: 'vulnerability', contentKind: 'manifest', total, fixable, severity, summary, report: { vulnerabilities } });
  if (severity === null) return [completed];
  return [completed, newEvent('vulnerability.found', subject(scan), { scanner: scan.scanner, total, severity, summary, report: { vulnerabilities } })];
}
