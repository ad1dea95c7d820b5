// The vulnerability gate for one pull, over a VulnerabilityStore: loads the gate that applies,
// then only what it needs (findings and allowlist for a threshold, scans for blockUnscanned),
// and decides with the pure evaluateVulnerabilityGate. What the pull path calls.
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { VulnerabilityStore } from '../ports/vulnerability-store.js';
import { evaluateVulnerabilityGate, resolveGate, type GateDecision } from './gate.js';

export interface VulnerabilityCheck {
  repository: string;
  /**
   * The artifact pulled first, then, for an index, its child manifests; or a function that
   * looks them up, called only when a gate applies (most pulls meet none: no lookup then).
   */
  digests: readonly Digest[] | (() => Promise<readonly Digest[]>);
  now: Date;
}

export async function checkVulnerabilityGate(store: VulnerabilityStore, check: VulnerabilityCheck): Promise<GateDecision> {
  const gate = resolveGate(await store.gatesFor(check.repository), check.repository);
  if (gate === undefined || (gate.severity === 'none' && !gate.blockUnscanned)) return { allowed: true };
  const digests = typeof check.digests === 'function' ? await check.digests() : check.digests;
  const bySeverity = gate.severity !== 'none';
  const [findings, allowlist, scanned] = await Promise.all([
    bySeverity ? store.findingsFor(digests) : [],
    bySeverity ? store.allowlistFor(check.repository) : [],
    gate.blockUnscanned ? store.scannedDigests(digests) : new Set<Digest>(),
  ]);
  return evaluateVulnerabilityGate({ gate, findings, scanned, allowlist, now: check.now, repository: check.repository, digests });
}

/** A denial as the registry answers it: 403 DENIED, the reason as message, the rule and findings as detail. */
export function vulnerabilityDenial(decision: Extract<GateDecision, { allowed: false }>): RegistryError {
  const { rule, blocking, unscanned } = decision;
  return new RegistryError('DENIED', decision.reason, { detail: { rule: `vulnerability:${rule}`, blocking, unscanned } });
}
