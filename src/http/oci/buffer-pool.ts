// Reusable buffers for serving blobs. A fresh 1 MiB buffer is mapped fresh from the kernel,
// which zero-fills its 256 pages on first touch: two of them per pull of a 1 MiB blob cost
// more CPU than sending it (measured: ~4 ms of server CPU per such pull instead of ~1 ms).
// Buffers come back after the response and serve the next one; a few are kept idle.
//
// `maxLent` caps how many are out at once. Without a cap, 32 parallel pulls took 64 fresh
// 1 MiB buffers; glibc then kept that memory in its heap after they were freed, and the
// process stayed ~60 MB larger for good. A caller that finds the pool at its cap uses a
// pool of smaller buffers instead (send-blob.ts), which costs a few more reads, never a wait.
export class BufferPool {
  readonly #idle: Buffer[] = [];
  #lent = 0;

  constructor(
    readonly bufferBytes: number,
    private readonly maxIdle: number,
    private readonly maxLent = Number.POSITIVE_INFINITY,
  ) {}

  /** A buffer, or undefined when `maxLent` are out already. */
  tryAcquire(): Buffer | undefined {
    if (this.#lent >= this.maxLent) return undefined;
    this.#lent++;
    return this.#idle.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /**
   * Gives a lent buffer back. `reusable: false` when something may still read it (a write
   * that failed can leave it in the socket): it then only stops counting against the cap.
   */
  release(buffer: Buffer, reusable = true): void {
    this.#lent = Math.max(0, this.#lent - 1);
    if (reusable && buffer.length === this.bufferBytes && this.#idle.length < this.maxIdle) this.#idle.push(buffer);
  }

  get idle(): number {
    return this.#idle.length;
  }

  get lent(): number {
    return this.#lent;
  }
}
