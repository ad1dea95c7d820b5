// The CVE allowlist's rules, pure: which vulnerability ids an entry may name, when an entry
// has expired, and which findings its scope covers. The gate (gate.ts) and the admin API
// (src/http/admin/vulnerability-routes.ts) share them.
//
// Ids: `CVE-YYYY-NNNN` (four or more digits) and GitHub advisory ids `GHSA-xxxx-xxxx-xxxx`.
// GHSA ids are accepted because scanners report them for language packages (npm, PyPI, Go,
// Maven) whose advisories have no CVE yet: without them such findings could not be
// allowlisted. Other schemes (RUSTSEC-, GO-, PYSEC-, distribution advisories) are refused
// until a scanner reports them as the only id; a typo is then a 400, not a silent no-op.
import type { Digest } from '../domain/digest.js';
import { namespaceOf } from '../domain/names.js';
import type { AllowlistEntry, AllowlistScope } from '../ports/vulnerability-store.js';

const cvePattern = /^CVE-\d{4}-\d{4,}$/i;
// GHSA ids use a reduced alphabet (no vowels or look-alike characters).
const ghsaPattern = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/i;

/**
 * The canonical form of an allowlistable id (`CVE-…` upper case; `GHSA-` then lower case, as
 * GitHub writes them), or undefined when the id is neither.
 */
export function parseVulnerabilityId(id: string): string | undefined {
  const trimmed = id.trim();
  if (cvePattern.test(trimmed)) return trimmed.toUpperCase();
  if (ghsaPattern.test(trimmed)) return `GHSA-${trimmed.slice('GHSA-'.length).toLowerCase()}`;
  return undefined;
}

/** Ids compare without regard to case: scanners differ in how they write them. */
export function sameVulnerability(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

/** `expiresAt` is the first moment an entry no longer applies. */
export function isExpired(entry: Pick<AllowlistEntry, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= entry.expiresAt.getTime();
}

/** What a finding is checked against: where it was pulled, and which digest it was found in. */
export interface FindingContext {
  repository: string;
  /** The artifact pulled: an index, or a manifest. */
  artifact: Digest;
  /** The manifest the finding belongs to: the artifact itself or one of an index's children. */
  digest: Digest;
}

/**
 * Whether the scope covers a finding. A digest entry covers findings in that digest and,
 * when it names an index being pulled, in the index's children: allowlisting what one pulls.
 */
export function scopeCovers(scope: AllowlistScope, context: FindingContext): boolean {
  switch (scope.kind) {
    case 'global':
      return true;
    case 'namespace':
      return scope.namespace === namespaceOf(context.repository);
    case 'repository':
      return scope.repository === context.repository;
    case 'digest':
      return scope.repository === context.repository && (scope.digest === context.digest || scope.digest === context.artifact);
  }
}

/** Whether some unexpired entry allowlists vulnerability `cve` for this finding. */
export function isAllowlisted(allowlist: readonly AllowlistEntry[], cve: string, context: FindingContext, now: Date): boolean {
  return allowlist.some((entry) => sameVulnerability(entry.cve, cve) && !isExpired(entry, now) && scopeCovers(entry.scope, context));
}
