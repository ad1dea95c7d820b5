// The target a rule sees for an artifact. Properties are there twice: nested under
// `properties` (`%(properties.owner)s`) and at the top level as Glance's rules expect
// (`%(x_billing_code_ntt)s`), except where a property's name is one of the keys below,
// which always mean what they say here.

export type ScanState = 'pending' | 'clean' | 'infected' | 'failed';

export interface VulnerabilityCounts {
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
}

export interface ArtifactFacts {
  namespace: string;
  repository: string;
  tag?: string;
  digest?: string;
  scanState?: ScanState;
  vulnerabilities?: VulnerabilityCounts;
  properties?: Readonly<Record<string, string>>;
}

export function buildTarget(facts: ArtifactFacts): Record<string, unknown> {
  const properties = facts.properties ?? {};
  const builtIn: Record<string, unknown> = {
    namespace: facts.namespace,
    repository: facts.repository,
    properties: { ...properties },
  };
  if (facts.tag !== undefined) builtIn['tag'] = facts.tag;
  if (facts.digest !== undefined) builtIn['digest'] = facts.digest;
  if (facts.scanState !== undefined) builtIn['scan_state'] = facts.scanState;
  if (facts.vulnerabilities !== undefined) builtIn['vulnerabilities'] = { ...facts.vulnerabilities };
  return { ...properties, ...builtIn };
}
