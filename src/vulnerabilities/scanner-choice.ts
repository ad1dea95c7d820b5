// Which scanner adapters scan a repository: the one rule that scan on push, rescans and
// campaigns all follow. Its namespace's choice (config `vulnerabilityScanning.namespaces` or
// the admin API), else the default scanner, else every registered one; scanners marked
// `required` (what `--adapter` registers) always join. Only enabled scanners count: a choice
// naming none that is left falls back like a namespace without one (never to no scan at all).
import { namespaceOf } from '../domain/names.js';

export interface ChoosableScanner {
  name: string;
  default: boolean;
  required: boolean;
  enabled: boolean;
}

export interface ScannerSet {
  /** The registered scanners, in the order they are listed. */
  scanners: readonly ChoosableScanner[];
  /** Namespace -> the scanners it chose. */
  namespaces: ReadonlyMap<string, readonly string[]>;
}

export function chooseScanners(set: ScannerSet, repository: string): string[] {
  const enabled = set.scanners.filter((s) => s.enabled);
  const known = new Set(enabled.map((s) => s.name));
  const chosen = (set.namespaces.get(namespaceOf(repository)) ?? []).filter((name) => known.has(name));
  const fallback = enabled.find((s) => s.default);
  const base = chosen.length > 0 ? chosen : fallback ? [fallback.name] : enabled.map((s) => s.name);
  return [...new Set([...base, ...enabled.filter((s) => s.required).map((s) => s.name)])];
}
