// Keeps a streamed read's cleanup from deleting bytes another fetch is about to count on.
// The bytes of a digest are content-addressed and shared: a fetch that finds them already
// stored (or whose commit finds them there and discards its own copy) must not have them
// deleted under it before it has secured them (an entry written, a reader counted). So:
// fetches run inside `fetching()`, and drops run only while no fetch does; a fetch that starts
// while a drop of its digest runs waits for it (`settled`) and then brings fresh bytes.
//
// A fetch counts as running until the macrotask after it resolved: the callers waiting on it
// (a single flight's waiters) resume in the microtasks before that, and take their own hold.
import type { Digest } from '../../domain/digest.js';

export class DropGuard {
  private active = 0;
  private readonly dropping = new Map<Digest, Promise<void>>();
  private readonly idleListeners: (() => void)[] = [];

  /** Runs a fetch and whatever secures its bytes, with drops held off meanwhile. */
  async fetching<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await work();
    } finally {
      setImmediate(() => {
        if (--this.active === 0) for (const listener of this.idleListeners) listener();
      });
    }
  }

  /** Resolves once no drop of the digest is running. */
  async settled(digest: Digest): Promise<void> {
    await this.dropping.get(digest);
  }

  /** Whether drops may run now (no fetch is running). */
  get idle(): boolean {
    return this.active === 0;
  }

  /** Runs `drop` for the digest now (check `idle` first, in the same tick); fetches of it wait for it. */
  drop(digest: Digest, drop: () => Promise<void>): Promise<void> {
    const running = drop().finally(() => this.dropping.delete(digest));
    this.dropping.set(digest, running);
    return running;
  }

  /** Called each time the last running fetch is over. */
  onIdle(listener: () => void): void {
    this.idleListeners.push(listener);
  }
}
