import { describe, expect, it } from 'vitest';
import { digestOf } from '../metadata/testing/fixtures.js';
import type { AllowlistEntry } from '../ports/vulnerability-store.js';
import { isAllowlisted, isExpired, parseVulnerabilityId, sameVulnerability, scopeCovers } from './allowlist.js';

describe('vulnerability ids', () => {
  it('accepts CVE and GHSA ids, in their canonical case', () => {
    expect(parseVulnerabilityId('CVE-2024-1234')).toBe('CVE-2024-1234');
    expect(parseVulnerabilityId(' cve-2021-44228 ')).toBe('CVE-2021-44228');
    expect(parseVulnerabilityId('CVE-2024-1234567')).toBe('CVE-2024-1234567');
    expect(parseVulnerabilityId('GHSA-jfh8-c2jp-5v3q')).toBe('GHSA-jfh8-c2jp-5v3q');
    expect(parseVulnerabilityId('ghsa-JFH8-C2JP-5V3Q')).toBe('GHSA-jfh8-c2jp-5v3q');
  });

  it('refuses anything else', () => {
    for (const bad of ['CVE-2024-123', 'CVE-24-1234', 'CVE-2024-12a4', 'CVE 2024 1234', 'CVE-2024-1234 x', 'GHSA-aaaa-bbbb-cccc', 'GHSA-jfh8-c2jp', 'RUSTSEC-2023-0001', '', '*']) {
      expect([bad, parseVulnerabilityId(bad)]).toEqual([bad, undefined]);
    }
  });

  it('compares ids without regard to case', () => {
    expect(sameVulnerability('GHSA-jfh8-c2jp-5v3q', 'GHSA-JFH8-C2JP-5V3Q')).toBe(true);
    expect(sameVulnerability('CVE-2024-1234', 'CVE-2024-12345')).toBe(false);
  });
});

describe('allowlist entries', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const index = digestOf('index');
  const child = digestOf('child');
  const context = { repository: 'library/nginx', artifact: index, digest: child };

  it('expire exactly at expiresAt', () => {
    expect(isExpired({ expiresAt: new Date(now.getTime() + 1) }, now)).toBe(false);
    expect(isExpired({ expiresAt: now }, now)).toBe(true);
  });

  it('cover findings by scope', () => {
    expect(scopeCovers({ kind: 'global' }, context)).toBe(true);
    expect(scopeCovers({ kind: 'namespace', namespace: 'library' }, context)).toBe(true);
    expect(scopeCovers({ kind: 'namespace', namespace: 'library/nginx' }, context)).toBe(false);
    expect(scopeCovers({ kind: 'repository', repository: 'library/nginx' }, context)).toBe(true);
    expect(scopeCovers({ kind: 'repository', repository: 'library' }, context)).toBe(false);
    expect(scopeCovers({ kind: 'digest', repository: 'library/nginx', digest: child }, context)).toBe(true);
    expect(scopeCovers({ kind: 'digest', repository: 'library/nginx', digest: index }, context)).toBe(true);
    expect(scopeCovers({ kind: 'digest', repository: 'library/redis', digest: child }, context)).toBe(false);
    expect(scopeCovers({ kind: 'digest', repository: 'library/nginx', digest: digestOf('sibling') }, context)).toBe(false);
  });

  it('allowlist a finding only with a matching id, an unexpired entry and a covering scope', () => {
    const entry = (overrides: Partial<AllowlistEntry>): AllowlistEntry => ({
      id: 'e',
      cve: 'CVE-2024-1234',
      scope: { kind: 'global' },
      expiresAt: new Date(now.getTime() + 1000),
      reason: 'r',
      author: 'admin',
      createdAt: now,
      ...overrides,
    });
    expect(isAllowlisted([entry({})], 'cve-2024-1234', context, now)).toBe(true);
    expect(isAllowlisted([entry({ cve: 'CVE-2024-9999' })], 'CVE-2024-1234', context, now)).toBe(false);
    expect(isAllowlisted([entry({ expiresAt: now })], 'CVE-2024-1234', context, now)).toBe(false);
    expect(isAllowlisted([entry({ scope: { kind: 'namespace', namespace: 'other' } })], 'CVE-2024-1234', context, now)).toBe(false);
    expect(isAllowlisted([], 'CVE-2024-1234', context, now)).toBe(false);
  });
});
