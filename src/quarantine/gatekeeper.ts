// What the registry sees of the quarantine: admit new content, hold a manifest PUT until
// its content is decided, and the gate on every read. `openGatekeeper` is `--no-scan`.
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { ContentKind } from '../ports/quarantine-store.js';
import type { Admission, AdmitOptions } from './admission.js';
import type { Decisions } from './decisions.js';
import { openGate, type ContentGate, type ManifestCheckOptions } from './gate.js';

export interface Gatekeeper extends ContentGate {
  /** Marks committed content pending and queues its scans. */
  admit(repository: string, digest: Digest, kind: ContentKind, options?: AdmitOptions): Promise<void>;
  /**
   * Waits (up to the configured time) for the digests' verdicts. Throws DENIED naming the
   * digest and signature when one is infected, or the error when one could not be scanned
   * (failed); returns when all are clean or time is up (the artifact then stays pending).
   */
  holdUntilDecided(items: readonly HeldContent[]): Promise<void>;
}

/** A digest a PUT waits for, and what to call it in an error (`layer`, `manifest`...). */
export interface HeldContent {
  digest: Digest;
  what: string;
}

export const openGatekeeper: Gatekeeper = {
  ...openGate,
  admit: async () => {},
  holdUntilDecided: async () => {},
};

/** The gatekeeper's methods, bound, so that a decorator can spread them and replace some. */
export function boundGatekeeper(inner: Gatekeeper): Gatekeeper {
  return {
    checkBlob: (digest) => inner.checkBlob(digest),
    checkManifest: (repository, digest, options) => inner.checkManifest(repository, digest, options),
    servable: (digests) => inner.servable(digests),
    admit: (repository, digest, kind, options) => inner.admit(repository, digest, kind, options),
    holdUntilDecided: (items) => inner.holdUntilDecided(items),
  };
}

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

  checkManifest(repository: string, digest: Digest, options?: ManifestCheckOptions): Promise<void> {
    return this.gate.checkManifest(repository, digest, options);
  }

  servable(digests: readonly Digest[]): Promise<Set<Digest>> {
    return this.gate.servable(digests);
  }

  admit(repository: string, digest: Digest, kind: ContentKind, options?: AdmitOptions): Promise<void> {
    return this.admission.admit(repository, digest, kind, options);
  }

  async holdUntilDecided(items: readonly HeldContent[]): Promise<void> {
    const states = await this.decisions.waitFor(
      items.map((i) => i.digest),
      this.waitMs,
    );
    // Infected first: it says more than a scan that could not be finished.
    const found =
      items.find((i) => states.get(i.digest)?.state === 'infected') ?? items.find((i) => states.get(i.digest)?.state === 'failed');
    if (!found) return;
    const record = states.get(found.digest)!;
    const message =
      record.state === 'infected'
        ? `malware found in ${found.what} ${found.digest}: ${record.reason ?? 'unknown signature'} (found by ${record.decidedBy ?? 'a scanner'})`
        : `${found.what} ${found.digest} could not be scanned: ${record.reason ?? 'scanner error'} (an admin can rescan it)`;
    throw new RegistryError('DENIED', message, {
      detail: { digest: found.digest, what: found.what, state: record.state, reason: record.reason, decidedBy: record.decidedBy },
    });
  }
}
