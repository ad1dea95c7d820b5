// A summary by severity of vulnerability reports, on Harbor's scale (the one the reports speak
// and operators know): Critical, High, Medium, Low, Negligible, Unknown. Counted as the gates
// count (findings.ts): one vulnerability per (id, package, version), at the highest severity
// any report gave it; fixable when some report names a fixed version. Words are read as the
// gates read them (severity.ts: an unrecognised word is Critical, fail closed), except that
// Negligible (and None) keep their own bucket here, where the gates fold them into unknown.
// Pure.
import type { Digest } from '../domain/digest.js';
import { readableReportTypes, reportSchema } from '../scanners/harbor/protocol.js';
import { vulnerabilityKey } from './findings.js';
import { severityFromScanner, type Severity } from './severity.js';

/** Most severe first: Harbor's order. */
export const reportSeverities = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;
export type ReportSeverity = (typeof reportSeverities)[number];
export type SeverityCounts = Record<ReportSeverity, number>;

export interface SeveritySummary {
  /** The most severe of those found; `None` when nothing was found. */
  severity: ReportSeverity | 'None';
  total: number;
  fixable: number;
  counts: SeverityCounts;
  fixableCounts: SeverityCounts;
}

/** A completed report as the summary reads it. */
export interface SummarizedReport {
  digest: Digest;
  mimeType: string;
  report: unknown;
}

const onOurScale: Record<Severity, ReportSeverity> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', unknown: 'Unknown' };

export function reportSeverity(word: string): ReportSeverity {
  const normal = word.trim().toLowerCase();
  if (normal === 'negligible' || normal === 'none') return 'Negligible';
  return onOurScale[severityFromScanner(normal)];
}

function rank(severity: ReportSeverity): number {
  return reportSeverities.length - reportSeverities.indexOf(severity);
}

function zeros(): SeverityCounts {
  return { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 };
}

/**
 * One report per digest (of the vulnerability report types scangate reads, the preferred one
 * first), so that a scanner answering in two formats is not counted twice. Others (an SBOM)
 * are left out.
 */
export function reportsToSummarize<R extends SummarizedReport>(reports: readonly R[]): R[] {
  const chosen = new Map<Digest, R>();
  for (const report of reports) {
    const preference = readableReportTypes.indexOf(report.mimeType);
    if (preference < 0) continue;
    const held = chosen.get(report.digest);
    if (!held || preference < readableReportTypes.indexOf(held.mimeType)) chosen.set(report.digest, report);
  }
  return [...chosen.values()];
}

/** The summary of `reports` taken together (call reportsToSummarize first). */
export function summarize(reports: readonly Pick<SummarizedReport, 'report'>[]): SeveritySummary {
  const distinct = new Map<string, { severity: ReportSeverity; fixable: boolean }>();
  for (const { report } of reports) {
    const parsed = reportSchema.safeParse(report);
    // A stored report always parsed once (the scan job checked it); a broken one counts as nothing.
    if (!parsed.success) continue;
    for (const item of parsed.data.vulnerabilities ?? []) {
      const key = vulnerabilityKey({ cve: item.id, package: item.package ?? '', version: item.version ?? '' });
      const severity = reportSeverity(item.severity ?? '');
      const fixable = Boolean(item.fix_version);
      const seen = distinct.get(key);
      distinct.set(key, {
        severity: seen && rank(seen.severity) >= rank(severity) ? seen.severity : severity,
        fixable: (seen?.fixable ?? false) || fixable,
      });
    }
  }
  const summary: SeveritySummary = { severity: 'None', total: 0, fixable: 0, counts: zeros(), fixableCounts: zeros() };
  for (const { severity, fixable } of distinct.values()) {
    summary.total += 1;
    summary.counts[severity] += 1;
    if (fixable) {
      summary.fixable += 1;
      summary.fixableCounts[severity] += 1;
    }
    if (summary.severity === 'None' || rank(severity) > rank(summary.severity)) summary.severity = severity;
  }
  return summary;
}
