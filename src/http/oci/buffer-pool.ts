// Reusable 1 MiB buffers for serving blobs. A fresh 1 MiB buffer is mapped fresh from the
// kernel, which zero-fills its 256 pages on first touch: two of them per pull of a 1 MiB
// blob cost more CPU than sending it (measured: ~4 ms of server CPU per such pull instead
// of ~1 ms). Buffers come back after the response and serve the next one; a few are kept
// idle, the rest are left to the collector, so a burst does not pin its peak for good.
export class BufferPool {
  readonly #idle: Buffer[] = [];

  constructor(
    readonly bufferBytes: number,
    private readonly maxIdle: number,
  ) {}

  acquire(): Buffer {
    return this.#idle.pop() ?? Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  release(buffer: Buffer): void {
    if (buffer.length === this.bufferBytes && this.#idle.length < this.maxIdle) this.#idle.push(buffer);
  }

  get idle(): number {
    return this.#idle.length;
  }
}
