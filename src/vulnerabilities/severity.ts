// Vulnerability severities: the one scale scangate keeps, its order, and how scanners' words
// map onto it. Pure; the store, the gate and the admin API all use it.
//
// The scale is `critical > high > medium > low > unknown`, the buckets of VulnerabilityCounts.
// Harbor's scanner adapters also report `Negligible` and `None`; both count as `unknown`:
// below `low`, so that no gate threshold reaches them — as in Harbor, where a Low threshold
// passes Negligible findings (and Harbor's CVSS v3 parsing maps Negligible to None).
// A word we do not recognise counts as `critical`, as Harbor ranks unrecognised severities
// highest: a scanner's new vocabulary must not slip past a gate.
import type { VulnerabilityCounts } from '../policy/target.js';

/** Most severe first. */
export const severities = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof severities)[number];

/**
 * What a gate blocks at: any finding at or above this severity. `none` never blocks on
 * severity. `unknown` is no threshold: unrated findings never decide a pull.
 */
export const gateThresholds = ['critical', 'high', 'medium', 'low', 'none'] as const;
export type GateThreshold = (typeof gateThresholds)[number];

const rank: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

/** Negative when `a` is less severe than `b`, 0 when equal, positive when more severe. */
export function compareSeverity(a: Severity, b: Severity): number {
  return rank[a] - rank[b];
}

export function mostSevere(a: Severity, b: Severity): Severity {
  return compareSeverity(a, b) >= 0 ? a : b;
}

/** Whether a finding of `severity` blocks under `threshold`. */
export function reachesThreshold(severity: Severity, threshold: GateThreshold): boolean {
  if (threshold === 'none') return false;
  return compareSeverity(severity, threshold) >= 0;
}

/** Strict parsing, for input we validate (the admin API): one of the five words, lower case. */
export function isSeverity(value: string): value is Severity {
  return (severities as readonly string[]).includes(value);
}

export function isGateThreshold(value: string): value is GateThreshold {
  return (gateThresholds as readonly string[]).includes(value);
}

/** Scanners' other words for our buckets (Clair, Red Hat, GitHub advisories, CVSS). */
const synonyms = new Map<string, Severity>([
  ['defcon1', 'critical'],
  ['important', 'high'],
  ['moderate', 'medium'],
  ['negligible', 'unknown'],
  ['none', 'unknown'],
  ['info', 'unknown'],
  ['informational', 'unknown'],
  ['unspecified', 'unknown'],
  ['', 'unknown'],
]);

/**
 * Lenient parsing, for what a scanner reports: any case, surrounding spaces ignored, the
 * synonyms above; anything else is `critical` (see the header: fail closed).
 */
export function severityFromScanner(word: string): Severity {
  const normal = word.trim().toLowerCase();
  if (isSeverity(normal)) return normal;
  return synonyms.get(normal) ?? 'critical';
}

export function emptyCounts(): VulnerabilityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}
