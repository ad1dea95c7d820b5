// The vulnerability gate's decision, pure: given the gate that applies, what scanners found,
// which digests were scanned and the allowlist, may this artifact be pulled? No I/O, so the
// pull path, the admin API and config-seeded gates can all use it (check.ts loads the
// inputs from a VulnerabilityStore).
//
// Order of the rules: findings at or above the threshold first (a named CVE is the more
// useful answer), then `blockUnscanned`. For an index, every child manifest is judged too
// and the index is blocked if any child is.
import type { Digest } from '../domain/digest.js';
import { namespaceOf } from '../domain/names.js';
import type { AllowlistEntry, DigestFinding, VulnerabilityGate } from '../ports/vulnerability-store.js';
import { isAllowlisted } from './allowlist.js';
import { vulnerabilityKey } from './findings.js';
import { compareSeverity, mostSevere, reachesThreshold, type Severity } from './severity.js';

export interface GateInput {
  /** The gate that applies (resolveGate); undefined: none does, everything is allowed. */
  gate: VulnerabilityGate | undefined;
  /** Findings on `digests` (others are ignored), from any number of scanners. */
  findings: readonly DigestFinding[];
  /** The digests for which a vulnerability scan has completed. */
  scanned: ReadonlySet<string>;
  /** Entries that may apply; expired ones and other scopes are sorted out here. */
  allowlist: readonly AllowlistEntry[];
  now: Date;
  repository: string;
  /** The artifact pulled FIRST, then, for an index, its child manifests. Never empty. */
  digests: readonly Digest[];
}

/** A vulnerability that blocks: one per (id, package, version), at its highest severity. */
export interface BlockingFinding {
  cve: string;
  severity: Severity;
  package: string;
  version: string;
  fixedVersion: string | null;
}

export type GateRule = 'severity' | 'unscanned';

export type GateDecision =
  | { allowed: true }
  | {
      allowed: false;
      rule: GateRule;
      /** A sentence for the client: what blocks, which gate, what to do. */
      reason: string;
      /** Most severe first (empty for rule `unscanned`). */
      blocking: BlockingFinding[];
      /** The digests without a completed scan (empty for rule `severity`). */
      unscanned: Digest[];
    };

/** How many CVEs or digests a reason names before "and N more". */
const listedInReason = 5;

/** The gate for a repository: its own, else its namespace's, else the global `*` one. */
export function resolveGate<G extends VulnerabilityGate>(gates: readonly G[], repository: string): G | undefined {
  for (const scope of [repository, namespaceOf(repository), '*']) {
    const gate = gates.find((candidate) => candidate.scope === scope);
    if (gate) return gate;
  }
  return undefined;
}

export function evaluateVulnerabilityGate(input: GateInput): GateDecision {
  const { gate, digests } = input;
  const artifact = digests[0];
  if (artifact === undefined) throw new TypeError('evaluateVulnerabilityGate needs the artifact digest (digests[0])');
  if (gate === undefined) return { allowed: true };

  const blocking = blockingFindings(input, artifact, gate);
  if (blocking.length > 0) {
    const verb = blocking.length === 1 ? 'reaches' : 'reach';
    const pronoun = blocking.length === 1 ? 'it' : 'them';
    const reason = `${listing(blocking.map(describeFinding))} ${verb} the gate's threshold ${gate.severity} for ${describeScope(gate, input.repository)}; allowlist ${pronoun} or fix ${pronoun}`;
    return { allowed: false, rule: 'severity', reason, blocking, unscanned: [] };
  }

  if (gate.blockUnscanned) {
    const unscanned = [...new Set(digests)].filter((digest) => !input.scanned.has(digest));
    if (unscanned.length > 0) {
      const reason = `no vulnerability scan has completed for ${listing(unscanned)}, and the gate for ${describeScope(gate, input.repository)} blocks unscanned content; retry once it has been scanned`;
      return { allowed: false, rule: 'unscanned', reason, blocking: [], unscanned };
    }
  }
  return { allowed: true };
}

/** Findings on the artifact's digests at or above the threshold and not allowlisted, merged. */
function blockingFindings(input: GateInput, artifact: Digest, gate: VulnerabilityGate): BlockingFinding[] {
  const judged = new Set<string>(input.digests);
  const merged = new Map<string, BlockingFinding>();
  for (const finding of input.findings) {
    if (!judged.has(finding.digest) || !reachesThreshold(finding.severity, gate.severity)) continue;
    const context = { repository: input.repository, artifact, digest: finding.digest };
    if (isAllowlisted(input.allowlist, finding.cve, context, input.now)) continue;
    // Several scanners, or several children of an index, report the same vulnerability.
    const key = vulnerabilityKey(finding);
    const seen = merged.get(key);
    merged.set(key, {
      cve: seen?.cve ?? finding.cve,
      severity: seen ? mostSevere(seen.severity, finding.severity) : finding.severity,
      package: finding.package,
      version: finding.version,
      fixedVersion: seen?.fixedVersion ?? finding.fixedVersion,
    });
  }
  return [...merged.values()].sort(
    (a, b) => compareSeverity(b.severity, a.severity) || byText(a.cve, b.cve) || byText(a.package, b.package) || byText(a.version, b.version),
  );
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeFinding(finding: BlockingFinding): string {
  return `${finding.cve} (${finding.severity}, ${finding.package} ${finding.version})`;
}

function describeScope(gate: VulnerabilityGate, repository: string): string {
  if (gate.scope === '*') return 'all repositories';
  return gate.scope === repository ? `repository ${gate.scope}` : `namespace ${gate.scope}`;
}

/** `a`, `a and b`, `a, b and c`, … and past five: `a, b, c, d, e and 3 more`. */
function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  if (items.length > listedInReason) return `${items.slice(0, listedInReason).join(', ')} and ${items.length - listedInReason} more`;
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
