// What counts as one vulnerability when several scanners (or several children of an index)
// report it: the same id, in the same package at the same version. Ids compare without
// regard to case; the highest severity any report gave wins.
import type { VulnerabilityCounts } from '../policy/target.js';
import type { VulnerabilityFinding } from '../ports/vulnerability-store.js';
import { emptyCounts, mostSevere, type Severity } from './severity.js';

export function vulnerabilityKey(finding: Pick<VulnerabilityFinding, 'cve' | 'package' | 'version'>): string {
  return [finding.cve.toUpperCase(), finding.package, finding.version].join('\0');
}

/** Counts per severity of the distinct vulnerabilities among `findings`. */
export function countBySeverity(findings: readonly VulnerabilityFinding[]): VulnerabilityCounts {
  const distinct = new Map<string, Severity>();
  for (const finding of findings) {
    const key = vulnerabilityKey(finding);
    const seen = distinct.get(key);
    distinct.set(key, seen ? mostSevere(seen, finding.severity) : finding.severity);
  }
  const counts = emptyCounts();
  for (const severity of distinct.values()) counts[severity] += 1;
  return counts;
}
