// The reports API's JSON: a report (or failed scan) as the API shows it, with the scanner's
// name and version, its database's date, when it was scanned, and the signature that covers
// it. The report itself is shown as the adapter returned it; its canonical JSON (RFC 8785)
// hashes to `reportDigest`, which the signature's statement names.
import type { VulnerabilityReportHead, VulnerabilityReportRecord } from '../../ports/vulnerability-report-store.js';
import { reportsToSummarize, summarize } from '../../vulnerabilities/report-summary.js';

export function renderReport(record: VulnerabilityReportRecord | VulnerabilityReportHead) {
  const common = {
    id: record.id,
    digest: record.digest,
    repository: record.repository,
    scanner: record.scanner,
    scannerName: record.scannerInfo.name,
    scannerVersion: record.scannerInfo.version,
    databaseUpdatedAt: record.scannerInfo.dbUpdatedAt?.toISOString() ?? null,
    scannedAt: record.createdAt.toISOString(),
    status: record.status,
  };
  if (record.status === 'failed') return { ...common, error: record.error };
  return {
    ...common,
    mimeType: record.mimeType,
    reportDigest: record.signature?.reportDigest ?? null,
    signature: record.signature?.jws ?? null,
    referrer: record.referrer,
    ...('report' in record ? { report: record.report } : {}),
  };
}


type CompletedReport = Extract<VulnerabilityReportRecord, { status: 'completed' }>;

/**
 * The summary of an artifact's latest completed reports: all scanners together (`severity` is
 * the top one), then each scanner's own, with what it says about itself.
 */
export function severitySummary(latest: readonly CompletedReport[]) {
  const byScanner = new Map<string, CompletedReport[]>();
  for (const report of latest) byScanner.set(report.scanner, [...(byScanner.get(report.scanner) ?? []), report]);
  const scanners = [...byScanner.keys()].sort().flatMap((scanner) => {
    const own = reportsToSummarize(byScanner.get(scanner)!);
    const newest = own.reduce<CompletedReport | undefined>((a, b) => (a && a.createdAt >= b.createdAt ? a : b), undefined);
    if (!newest) return [];
    const { name, version, dbUpdatedAt } = newest.scannerInfo;
    return [{ scanner, scannerName: name, scannerVersion: version, databaseUpdatedAt: dbUpdatedAt?.toISOString() ?? null, scannedAt: newest.createdAt.toISOString(), reports: own.map((r) => r.id), own, ...summarize(own) }];
  });
  const overall = summarize(scanners.flatMap((s) => s.own));
  return { scanned: scanners.length > 0, ...overall, scanners: scanners.map(({ own: _, ...shown }) => shown) };
}
