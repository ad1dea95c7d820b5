// The configured scanners, and which of them each namespace requires. A namespace that
// the config does not name requires every scanner (secure by default).
import { namespaceOf } from '../domain/names.js';
import type { Scanner } from '../ports/scanner.js';

export class ScannerSet {
  private readonly byName: Map<string, Scanner>;

  constructor(
    scanners: readonly Scanner[],
    private readonly requirements: Readonly<Record<string, readonly string[]>> = {},
  ) {
    this.byName = new Map(scanners.map((s) => [s.name, s]));
  }

  get all(): Scanner[] {
    return [...this.byName.values()];
  }

  get(name: string): Scanner | undefined {
    return this.byName.get(name);
  }

  /** The scanner names a repository's namespace requires. */
  requiredFor(repository: string): string[] {
    const named = this.requirements[namespaceOf(repository)];
    return named ? [...named] : [...this.byName.keys()];
  }

  /**
   * What content held in these repositories must pass: the union of their requirements, or
   * every scanner when it is held nowhere yet (just committed, not linked).
   */
  requiredForAll(repositories: readonly string[]): string[] {
    if (repositories.length === 0) return [...this.byName.keys()];
    return [...new Set(repositories.flatMap((r) => this.requiredFor(r)))];
  }
}
