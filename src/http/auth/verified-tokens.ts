// Bearer tokens already verified, by their exact text, until they expire. A registry token
// is checked on every blob and manifest request of a pull, and an EdDSA verification costs
// ~0.1-0.2 ms of CPU: for small blobs that was a fifth of the request. Caching changes no
// decision: the Authenticator yields only the token's own claims (nothing about its subject
// can change them), a token's signature and claims never change, and a retired signing key
// keeps verifying longer than any token lives (token-service.ts). Expiry is checked on
// every hit against the token's `exp`, without the clock leeway a fresh verification allows.
import type { Authentication } from '../../auth/authenticate.js';

type BearerAuthentication = Extract<Authentication, { scheme: 'bearer' }>;

export class VerifiedTokens {
  readonly #entries = new Map<string, BearerAuthentication>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(header: string): BearerAuthentication | undefined {
    const hit = this.#entries.get(header);
    if (hit === undefined) return undefined;
    if (hit.claims.expiresAt.getTime() > this.now()) return hit;
    this.#entries.delete(header);
    return undefined;
  }

  remember(header: string, authentication: Authentication | undefined): void {
    if (authentication?.scheme !== 'bearer') return;
    // Bounded: when full, start over (tokens live minutes; clients re-present the same one).
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(header, authentication);
  }
}
