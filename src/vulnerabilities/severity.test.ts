import { describe, expect, it } from 'vitest';
import type { VulnerabilityFinding } from '../ports/vulnerability-store.js';
import { countBySeverity } from './findings.js';
import { compareSeverity, gateThresholds, isGateThreshold, isSeverity, reachesThreshold, severities, severityFromScanner, type Severity } from './severity.js';

describe('severity order', () => {
  it('ranks critical > high > medium > low > unknown', () => {
    const shuffled: Severity[] = ['low', 'critical', 'unknown', 'medium', 'high'];
    expect([...shuffled].sort((a, b) => compareSeverity(b, a))).toEqual([...severities]);
    expect(compareSeverity('high', 'high')).toBe(0);
  });

  it('blocks at and above a threshold, never at none, and never for unknown findings', () => {
    const blockedAt = (threshold: (typeof gateThresholds)[number]) => severities.filter((s) => reachesThreshold(s, threshold));
    expect(blockedAt('critical')).toEqual(['critical']);
    expect(blockedAt('high')).toEqual(['critical', 'high']);
    expect(blockedAt('medium')).toEqual(['critical', 'high', 'medium']);
    expect(blockedAt('low')).toEqual(['critical', 'high', 'medium', 'low']);
    expect(blockedAt('none')).toEqual([]);
  });
});

describe('parsing', () => {
  it('accepts exactly the scale and the thresholds, in lower case, for validated input', () => {
    for (const s of severities) expect(isSeverity(s)).toBe(true);
    for (const t of gateThresholds) expect(isGateThreshold(t)).toBe(true);
    for (const bad of ['High', 'none', 'negligible', '', 'constructor']) expect(isSeverity(bad)).toBe(false);
    for (const bad of ['unknown', 'HIGH', 'toString']) expect(isGateThreshold(bad)).toBe(false);
  });

  it("maps scanners' words onto the scale, failing closed on words it does not know", () => {
    const cases: [string, Severity][] = [
      ['CRITICAL', 'critical'],
      [' High ', 'high'],
      ['Medium', 'medium'],
      ['LOW', 'low'],
      ['UNKNOWN', 'unknown'],
      ['Negligible', 'unknown'],
      ['None', 'unknown'],
      ['', 'unknown'],
      ['Defcon1', 'critical'],
      ['Important', 'high'],
      ['moderate', 'medium'],
      ['catastrophic', 'critical'],
      ['constructor', 'critical'],
    ];
    for (const [word, expected] of cases) expect([word, severityFromScanner(word)]).toEqual([word, expected]);
  });
});

describe('countBySeverity', () => {
  const f = (cve: string, severity: Severity, version = '1.0'): VulnerabilityFinding => ({ cve, package: 'p', version, fixedVersion: null, severity });

  it('counts each (id, package, version) once at its highest severity', () => {
    expect(countBySeverity([])).toEqual({ critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
    expect(countBySeverity([f('CVE-1', 'low'), f('cve-1', 'high'), f('CVE-1', 'low', '2.0'), f('CVE-2', 'unknown')])).toEqual({
      critical: 0,
      high: 1,
      medium: 0,
      low: 1,
      unknown: 1,
    });
  });
});
