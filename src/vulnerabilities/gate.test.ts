import { describe, expect, it } from 'vitest';
import type { Digest } from '../domain/digest.js';
import { digestOf } from '../metadata/testing/fixtures.js';
import type { AllowlistEntry, AllowlistScope, DigestFinding, VulnerabilityGate } from '../ports/vulnerability-store.js';
import { evaluateVulnerabilityGate, resolveGate, type GateInput } from './gate.js';
import { gateThresholds, severities, type GateThreshold, type Severity } from './severity.js';

const now = new Date('2030-01-01T00:00:00Z');
const image = digestOf('image');
const index = digestOf('index');
const amd64 = digestOf('amd64');
const arm64 = digestOf('arm64');

const gate = (severity: GateThreshold, blockUnscanned = false, scope = 'library'): VulnerabilityGate => ({ scope, severity, blockUnscanned });
const finding = (cve: string, severity: Severity, digest: Digest = image, overrides: Partial<DigestFinding> = {}): DigestFinding => ({
  digest,
  scanner: 'trivy',
  cve,
  package: 'openssl',
  version: '3.0.1',
  fixedVersion: '3.0.2',
  severity,
  ...overrides,
});
const allow = (cve: string, scope: AllowlistScope, expiresAt = new Date(now.getTime() + 60_000)): AllowlistEntry => ({
  id: `${cve}-${scope.kind}`,
  cve,
  scope,
  expiresAt,
  reason: 'not reachable',
  author: 'admin',
  createdAt: now,
});

function evaluate(overrides: Partial<GateInput>) {
  return evaluateVulnerabilityGate({
    gate: gate('high'),
    findings: [],
    scanned: new Set([image, index, amd64, arm64]),
    allowlist: [],
    now,
    repository: 'library/nginx',
    digests: [image],
    ...overrides,
  });
}

const blockedCves = (input: Partial<GateInput>): string[] => {
  const decision = evaluate(input);
  return decision.allowed ? [] : decision.blocking.map((b) => b.cve);
};

describe('resolveGate', () => {
  const gates = [gate('critical', false, '*'), gate('high', false, 'library'), gate('low', true, 'library/nginx')];

  it('takes the repository gate over the namespace gate over the global one', () => {
    expect(resolveGate(gates, 'library/nginx')?.scope).toBe('library/nginx');
    expect(resolveGate(gates, 'library/redis')?.scope).toBe('library');
    expect(resolveGate(gates, 'library/nginx/debug')?.scope).toBe('library');
    expect(resolveGate(gates, 'team/app')?.scope).toBe('*');
    expect(resolveGate(gates.slice(1), 'team/app')).toBeUndefined();
    expect(resolveGate([gate('medium', false, 'nginx')], 'nginx')?.scope).toBe('nginx');
  });
});

describe('evaluateVulnerabilityGate: thresholds', () => {
  const oneOfEach = severities.map((severity, i) => finding(`CVE-2024-000${i}`, severity));
  const expected: Record<GateThreshold, Severity[]> = {
    critical: ['critical'],
    high: ['critical', 'high'],
    medium: ['critical', 'high', 'medium'],
    low: ['critical', 'high', 'medium', 'low'],
    none: [],
  };

  for (const threshold of gateThresholds) {
    it(`at ${threshold} blocks ${expected[threshold].join(', ') || 'nothing'}`, () => {
      const decision = evaluate({ gate: gate(threshold), findings: oneOfEach });
      if (threshold === 'none') return expect(decision).toEqual({ allowed: true });
      expect(decision).toMatchObject({ allowed: false, rule: 'severity', unscanned: [] });
      expect(decision.allowed ? [] : decision.blocking.map((b) => b.severity)).toEqual(expected[threshold]);
    });
  }

  it('allows findings below the threshold and artifacts with no gate at all', () => {
    expect(evaluate({ gate: gate('critical'), findings: [finding('CVE-2024-0001', 'high')] })).toEqual({ allowed: true });
    expect(evaluate({ gate: undefined, findings: [finding('CVE-2024-0001', 'critical')], scanned: new Set() })).toEqual({ allowed: true });
  });

  it('lists each vulnerability once, at its highest severity, most severe first', () => {
    const decision = evaluate({
      gate: gate('medium'),
      digests: [index, amd64, arm64],
      findings: [
        finding('CVE-2024-0002', 'medium', amd64, { package: 'zlib', version: '1.2' }),
        finding('CVE-2024-0001', 'high', amd64),
        finding('cve-2024-0001', 'critical', arm64, { scanner: 'clair', fixedVersion: null }),
        finding('CVE-2024-0003', 'high', arm64, { package: 'curl', version: '8.0' }),
      ],
    });
    expect(decision.allowed ? [] : decision.blocking).toEqual([
      { cve: 'CVE-2024-0001', severity: 'critical', package: 'openssl', version: '3.0.1', fixedVersion: '3.0.2' },
      { cve: 'CVE-2024-0003', severity: 'high', package: 'curl', version: '8.0', fixedVersion: '3.0.2' },
      { cve: 'CVE-2024-0002', severity: 'medium', package: 'zlib', version: '1.2', fixedVersion: '3.0.2' },
    ]);
  });
});

describe('evaluateVulnerabilityGate: allowlist', () => {
  const critical = [finding('CVE-2024-1234', 'critical')];
  const scopes: [string, AllowlistScope][] = [
    ['global', { kind: 'global' }],
    ['namespace', { kind: 'namespace', namespace: 'library' }],
    ['repository', { kind: 'repository', repository: 'library/nginx' }],
    ['digest', { kind: 'digest', repository: 'library/nginx', digest: image }],
  ];

  for (const [label, scope] of scopes) {
    it(`lets an entry of ${label} scope through`, () => {
      expect(evaluate({ findings: critical, allowlist: [allow('CVE-2024-1234', scope)] })).toEqual({ allowed: true });
    });
  }

  it('ignores entries for other ids, namespaces, repositories and digests', () => {
    const others: AllowlistEntry[] = [
      allow('CVE-2024-9999', { kind: 'global' }),
      allow('CVE-2024-1234', { kind: 'namespace', namespace: 'other' }),
      allow('CVE-2024-1234', { kind: 'repository', repository: 'library/redis' }),
      allow('CVE-2024-1234', { kind: 'digest', repository: 'library/nginx', digest: digestOf('other') }),
      allow('CVE-2024-1234', { kind: 'digest', repository: 'library/redis', digest: image }),
    ];
    expect(blockedCves({ findings: critical, allowlist: others })).toEqual(['CVE-2024-1234']);
  });

  it('stops applying an entry exactly at its expiry', () => {
    const expiring = (ms: number) => [allow('CVE-2024-1234', { kind: 'global' }, new Date(now.getTime() + ms))];
    expect(evaluate({ findings: critical, allowlist: expiring(1) })).toEqual({ allowed: true });
    expect(blockedCves({ findings: critical, allowlist: expiring(0) })).toEqual(['CVE-2024-1234']);
    expect(blockedCves({ findings: critical, allowlist: expiring(-1) })).toEqual(['CVE-2024-1234']);
  });

  it('leaves the other blocking findings blocking', () => {
    const findings = [...critical, finding('CVE-2024-5678', 'high', image, { package: 'zlib' })];
    expect(blockedCves({ findings, allowlist: [allow('CVE-2024-1234', { kind: 'global' })] })).toEqual(['CVE-2024-5678']);
  });

  it("covers an index's children with an entry for the index, and one child with an entry for it", () => {
    const findings = [finding('CVE-2024-1234', 'critical', amd64), finding('CVE-2024-1234', 'critical', arm64, { version: '3.0.0' })];
    const digests = [index, amd64, arm64];
    const forIndex = allow('CVE-2024-1234', { kind: 'digest', repository: 'library/nginx', digest: index });
    expect(evaluate({ digests, findings, allowlist: [forIndex] })).toEqual({ allowed: true });
    const forAmd64 = allow('CVE-2024-1234', { kind: 'digest', repository: 'library/nginx', digest: amd64 });
    const decision = evaluate({ digests, findings, allowlist: [forAmd64] });
    expect(decision.allowed ? [] : decision.blocking.map((b) => b.version)).toEqual(['3.0.0']);
    // Pulling the child alone: an entry for the index it came in does not cover it.
    expect(blockedCves({ digests: [arm64], findings, allowlist: [forIndex] })).toEqual(['CVE-2024-1234']);
  });
});

describe('evaluateVulnerabilityGate: unscanned content and indexes', () => {
  it('blocks content without a completed scan only when the gate says so', () => {
    expect(evaluate({ gate: gate('high', false), scanned: new Set() })).toEqual({ allowed: true });
    expect(evaluate({ gate: gate('none', true), scanned: new Set() })).toMatchObject({ allowed: false, rule: 'unscanned', blocking: [], unscanned: [image] });
    expect(evaluate({ gate: gate('none', true), scanned: new Set([image]) })).toEqual({ allowed: true });
  });

  it('blocks an index when one child is unscanned, naming the child', () => {
    const decision = evaluate({ gate: gate('high', true), digests: [index, amd64, arm64], scanned: new Set([index, amd64]) });
    expect(decision).toMatchObject({ allowed: false, rule: 'unscanned', unscanned: [arm64] });
  });

  it('blocks an index when one child has a blocking finding, and ignores findings of digests not asked about', () => {
    const digests = [index, amd64, arm64];
    expect(blockedCves({ digests, findings: [finding('CVE-2024-0001', 'high', arm64)] })).toEqual(['CVE-2024-0001']);
    expect(evaluate({ digests, findings: [finding('CVE-2024-0001', 'critical', image)] })).toEqual({ allowed: true });
  });

  it('reports a blocking finding before unscanned content', () => {
    const decision = evaluate({ gate: gate('high', true), digests: [index, amd64], scanned: new Set([amd64]), findings: [finding('CVE-2024-0001', 'high', amd64)] });
    expect(decision).toMatchObject({ allowed: false, rule: 'severity' });
  });

  it('needs the artifact digest', () => {
    expect(() => evaluate({ digests: [] })).toThrow(/digests\[0\]/);
  });
});

describe('evaluateVulnerabilityGate: reasons', () => {
  const reasonOf = (input: Partial<GateInput>): string => {
    const decision = evaluate(input);
    if (decision.allowed) throw new Error('expected a denial');
    return decision.reason;
  };
  const cves = (count: number) => Array.from({ length: count }, (_, i) => finding(`CVE-2024-100${i}`, 'critical', image, { package: `pkg${i}`, version: `1.${i}` }));

  it('names the CVE, its severity and package, the threshold and the gate scope', () => {
    expect(reasonOf({ findings: [finding('CVE-2024-1234', 'critical')] })).toBe(
      "CVE-2024-1234 (critical, openssl 3.0.1) reaches the gate's threshold high for namespace library; allowlist it or fix it",
    );
    expect(reasonOf({ gate: gate('medium', false, 'library/nginx'), findings: cves(2) })).toBe(
      "CVE-2024-1000 (critical, pkg0 1.0) and CVE-2024-1001 (critical, pkg1 1.1) reach the gate's threshold medium for repository library/nginx; allowlist them or fix them",
    );
  });

  it('names five CVEs at most, then how many more', () => {
    expect(reasonOf({ gate: gate('critical', false, '*'), findings: cves(8) })).toBe(
      'CVE-2024-1000 (critical, pkg0 1.0), CVE-2024-1001 (critical, pkg1 1.1), CVE-2024-1002 (critical, pkg2 1.2), ' +
        'CVE-2024-1003 (critical, pkg3 1.3), CVE-2024-1004 (critical, pkg4 1.4) and 3 more ' +
        "reach the gate's threshold critical for all repositories; allowlist them or fix them",
    );
    expect(reasonOf({ findings: cves(5) })).toContain('CVE-2024-1003 (critical, pkg3 1.3) and CVE-2024-1004 (critical, pkg4 1.4) reach');
  });

  it('says which digests wait for a scan', () => {
    expect(reasonOf({ gate: gate('none', true), digests: [index, amd64], scanned: new Set([index]) })).toBe(
      `no vulnerability scan has completed for ${amd64}, and the gate for namespace library blocks unscanned content; retry once it has been scanned`,
    );
  });
});
