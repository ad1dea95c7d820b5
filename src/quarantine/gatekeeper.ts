// What the registry sees of the quarantine: admit new content, hold a manifest PUT until
// its content is decided, and the gate on every read. `openGatekeeper` is `--no-scan`.
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { ContentKind } from '../ports/quarantine-store.js';
import type { Admission, AdmitOptions } from './admission.js';
import type { Decisions } from './decisions.js';
import { openGate, type ContentGate } from './gate.js';

export interface Gatekeeper extends ContentGate {
  /** Marks committed content pending and queues its scans. */
  admit(repository: string, digest: Digest, kind: ContentKind, options?: AdmitOptions): Promise<void>;
  /**
   * Waits (up to the configured time) for the digests' verdicts. Throws DENIED naming the
   * digest and signature when one is infected; returns when all are decided or time is up.
   */
  holdUntilDecided(digests: readonly Digest[]): Promise<void>;
}

export const openGatekeeper: Gatekeeper = {
  ...openGate,
  admit: async () => {},
  holdUntilDecided: async () => {},
};

export class QuarantineGatekeeper implements Gatekeeper {
  constructor(
    private readonly gate: ContentGate,
    private readonly admission: Admission,
    private readonly decisions: Decisions,
    private readonly waitMs: number,
  ) {}

  checkBlob(digest: Digest): Promise<void> {
    return this.gate.checkBlob(digest);
  }

  checkManifest(repository: string, digest: Digest): Promise<void> {
    return this.gate.checkManifest(repository, digest);
  }

  servable(digests: readonly Digest[]): Promise<Set<Digest>> {
    return this.gate.servable(digests);
  }

  admit(repository: string, digest: Digest, kind: ContentKind, options?: AdmitOptions): Promise<void> {
    return this.admission.admit(repository, digest, kind, options);
  }

  async holdUntilDecided(digests: readonly Digest[]): Promise<void> {
    const states = await this.decisions.waitFor(digests, this.waitMs);
    const infected = digests.map((d) => states.get(d)).find((s) => s?.state === 'infected');
    if (infected) {
      throw new RegistryError('DENIED', `malware found in ${infected.digest}: ${infected.reason ?? 'unknown signature'} (by ${infected.decidedBy ?? 'a scanner'})`, {
        detail: { digest: infected.digest, state: 'infected', signatures: infected.reason, scanners: infected.decidedBy },
      });
    }
  }
}
