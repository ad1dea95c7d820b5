// Reusable buffers for serving blobs. A fresh 1 MiB buffer is mapped fresh from the kernel,
// which zero-fills its 256 pages on first touch: two of them per pull of a 1 MiB blob cost
// more CPU than sending it (measured: ~4 ms of server CPU per such pull instead of ~1 ms).
// Buffers come back after the response and serve the next one.
//
// Memory is what bounds the design. A buffer let go is garbage that V8 frees only at its
// next full collection, and glibc may keep what it frees: 32 parallel pulls that each got
// fresh 1 MiB buffers left the process ~60 MB larger for good. So each pool has a fixed
// capacity (`maxLent`), keeps every buffer it ever lent, and never lets one go; past its
// capacity a caller gets a smaller buffer from the next tier (BufferTiers), which costs more
// reads of the file, never a wait.
export class BufferPool {
  readonly #idle: Buffer[] = [];
  #lent = 0;

  constructor(
    readonly bufferBytes: number,
    private readonly maxIdle: number,
    readonly maxLent = Number.POSITIVE_INFINITY,
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

/**
 * Pools of decreasing buffer size, tried in order; the last one must have no cap. A transfer
 * reads into one buffer while the other is being written: it gets a second buffer only
 * while its pool is less than half lent, so under a fan-out every transfer keeps a large
 * buffer (one, not two) instead of the late ones dropping to the smallest size.
 */
export class BufferTiers {
  constructor(private readonly pools: readonly BufferPool[]) {
    if (pools.at(-1)?.maxLent !== Number.POSITIVE_INFINITY) throw new Error('the last pool must have no cap');
  }

  acquire(): Buffer {
    for (const pool of this.pools) {
      const buffer = pool.tryAcquire();
      if (buffer) return buffer;
    }
    throw new Error('unreachable: the last pool has no cap');
  }

  /** A second buffer of the same size as `first`, or undefined when that pool is half lent. */
  acquireSecond(first: Buffer): Buffer | undefined {
    const pool = this.poolOf(first);
    if (!pool || pool.lent >= pool.maxLent / 2) return undefined;
    return pool.tryAcquire();
  }

  release(buffer: Buffer, reusable: boolean): void {
    this.poolOf(buffer)?.release(buffer, reusable);
  }

  private poolOf(buffer: Buffer): BufferPool | undefined {
    return this.pools.find((pool) => pool.bufferBytes === buffer.length);
  }
}
