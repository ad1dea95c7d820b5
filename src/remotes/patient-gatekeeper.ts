// The gate as a sync sees it: a sync brings content for later, so instead of a client's wait
// (scanning.manifestWaitSeconds, then 503) it waits up to its own time for the verdicts of
// what it brought, and reports an item synced only once it is clean. Everything else is the
// gatekeeper's own (the fetches and admissions are shared with clients' requests).
import type { Digest } from '../domain/digest.js';
import { boundGatekeeper, type Gatekeeper, type HeldContent } from '../quarantine/gatekeeper.js';

/** Rounds of the inner wait that came back this fast are spaced out, so a zero wait does not spin. */
const minRoundMs = 1000;

export function patientGatekeeper(inner: Gatekeeper, waitMs: number): Gatekeeper {
  return {
    ...boundGatekeeper(inner),
    async holdUntilDecided(items: readonly HeldContent[]): Promise<void> {
      const deadline = Date.now() + waitMs;
      const digests: Digest[] = items.map((item) => item.digest);
      for (;;) {
        const started = Date.now();
        // Throws DENIED when one is infected or could not be scanned.
        await inner.holdUntilDecided(items);
        if ((await inner.servable(digests)).size >= new Set(digests).size || Date.now() >= deadline) return;
        const rest = Math.min(minRoundMs - (Date.now() - started), deadline - Date.now());
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      }
    },
  };
}
