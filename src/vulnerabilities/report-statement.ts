// What a vulnerability report's signature says. The report is kept and published as its
// canonical JSON (RFC 8785, src/domain/canonical-json.ts): the same bytes in the OCI
// referrer's report layer, and reproducible from the report the API returns. The signed
// statement binds the digest of those bytes to the artifact that was scanned, the scanner
// and the moment, so a report cannot be passed off as another image's. Pure.
import { canonicalJson } from '../domain/canonical-json.js';
import { digestBytes, type Digest } from '../domain/digest.js';
import type { ReportScannerInfo } from '../ports/vulnerability-report-store.js';

/** What is known of a completed scan when its report is signed. */
export interface ScannedReport {
  repository: string;
  digest: Digest;
  /** The registered adapter's name. */
  scanner: string;
  scannerInfo: ReportScannerInfo;
  createdAt: Date;
  mimeType: string;
  report: unknown;
}

/** The JWS payload (its canonical JSON is what is signed). */
export interface ReportStatement {
  artifact: { repository: string; digest: Digest };
  scanner: { registration: string; name: string | null; version: string | null; databaseUpdatedAt: string | null };
  report: { mediaType: string; digest: Digest; size: number };
  scannedAt: string;
}

/** The report's canonical bytes, as the referrer's layer holds them. */
export function canonicalReportBytes(report: unknown): Buffer {
  return Buffer.from(canonicalJson(report), 'utf8');
}

export function reportStatement(scan: ScannedReport): { statement: ReportStatement; bytes: Buffer } {
  const reportBytes = canonicalReportBytes(scan.report);
  const statement: ReportStatement = {
    artifact: { repository: scan.repository, digest: scan.digest },
    scanner: {
      registration: scan.scanner,
      name: scan.scannerInfo.name,
      version: scan.scannerInfo.version,
      databaseUpdatedAt: scan.scannerInfo.dbUpdatedAt?.toISOString() ?? null,
    },
    report: { mediaType: scan.mimeType, digest: digestBytes(reportBytes), size: reportBytes.length },
    scannedAt: scan.createdAt.toISOString(),
  };
  return { statement, bytes: Buffer.from(canonicalJson(statement), 'utf8') };
}
