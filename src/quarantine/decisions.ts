// Notifies whoever waits for a digest's state to be decided (a manifest PUT waiting for
// its layers). In-process listeners wake at once; waiters also poll the store, so a
// decision made by another process is seen within one poll interval.
import { EventEmitter } from 'node:events';
import type { Digest } from '../domain/digest.js';
import type { QuarantineStore, StateRecord } from '../ports/quarantine-store.js';

const pollMs = 250;

export class Decisions {
  private readonly emitter = new EventEmitter();

  constructor(private readonly store: QuarantineStore) {
    this.emitter.setMaxListeners(0);
  }

  announce(record: StateRecord): void {
    this.emitter.emit('decided', record);
  }

  /**
   * Waits until none of the digests is pending, or the time is up; resolves to their states
   * then (a digest with no state yet counts as pending).
   */
  async waitFor(digests: readonly Digest[], timeoutMs: number): Promise<Map<Digest, StateRecord>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await this.store.getStates(digests);
      const undecided = digests.some((d) => (states.get(d)?.state ?? 'pending') === 'pending');
      const refused = [...states.values()].some((s) => s.state === 'infected' || s.state === 'failed');
      const left = deadline - Date.now();
      if (!undecided || refused || left <= 0) return states;
      await this.nextDecision(digests, Math.min(left, pollMs));
    }
  }

  private nextDecision(digests: readonly Digest[], ms: number): Promise<void> {
    const wanted = new Set<string>(digests);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off('decided', onDecided);
        resolve();
      };
      const onDecided = (record: StateRecord) => {
        if (wanted.has(record.digest)) done();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on('decided', onDecided);
    });
  }
}
