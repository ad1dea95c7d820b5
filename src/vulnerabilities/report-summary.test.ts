import { describe, expect, it } from 'vitest';
import type { Digest } from '../domain/digest.js';
import { mediaTypes } from '../scanners/harbor/protocol.js';
import { reportSeverity, reportsToSummarize, summarize } from './report-summary.js';

const d1 = `sha256:${'1'.repeat(64)}` as Digest;
const d2 = `sha256:${'2'.repeat(64)}` as Digest;
const vuln = (id: string, severity: string, fix = '', pkg = 'openssl', version = '3.0.1') => ({ id, severity, package: pkg, version, fix_version: fix });

describe('summary of vulnerability reports by severity', () => {
  it("reads Harbor's words, keeps Negligible apart and fails closed on an unknown word", () => {
    expect(['Critical', 'HIGH', ' medium ', 'Low', 'Negligible', 'None', 'Unknown', '', 'bogus'].map(reportSeverity)).toEqual([
      'Critical',
      'High',
      'Medium',
      'Low',
      'Negligible',
      'Negligible',
      'Unknown',
      'Unknown',
      'Critical',
    ]);
  });

  it('counts each vulnerability once at its highest severity, fixable when any report names a fix', () => {
    const summary = summarize([
      { report: { vulnerabilities: [vuln('CVE-1', 'Medium'), vuln('CVE-2', 'Negligible', '1.1'), vuln('CVE-3', 'Low', '2', 'zlib')] } },
      { report: { vulnerabilities: [vuln('cve-1', 'High', '3.0.2'), vuln('CVE-3', 'Low', '', 'zlib', '1.2')] } },
    ]);
    expect(summary).toEqual({
      severity: 'High',
      total: 4,
      fixable: 3,
      counts: { Critical: 0, High: 1, Medium: 0, Low: 2, Negligible: 1, Unknown: 0 },
      fixableCounts: { Critical: 0, High: 1, Medium: 0, Low: 1, Negligible: 1, Unknown: 0 },
    });
  });

  it('says None when nothing was found, and skips what is no report', () => {
    expect(summarize([{ report: { vulnerabilities: [] } }, { report: 'garbage' }])).toMatchObject({ severity: 'None', total: 0, fixable: 0 });
  });

  it('takes one report per digest, the preferred format, and leaves other report types out', () => {
    const reports = [
      { digest: d1, mimeType: mediaTypes.report10, report: 'v10' },
      { digest: d1, mimeType: mediaTypes.report11, report: 'v11' },
      { digest: d2, mimeType: 'application/vnd.security.sbom.report+json; version=1.0', report: 'sbom' },
      { digest: d2, mimeType: mediaTypes.report10, report: 'v10 of d2' },
    ];
    expect(reportsToSummarize(reports).map((r) => r.report)).toEqual(['v11', 'v10 of d2']);
  });
});
