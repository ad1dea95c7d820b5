// Pseudo-random blob payloads that cost the client almost nothing to produce.
// A payload is a virtual byte array made of 8 MiB blocks: each block is a 16-byte header
// (the payload's nonce and the block index) followed by the tail of one shared random
// buffer. Every payload therefore has a digest of its own, yet streaming it only yields
// subarrays of buffers that are never mutated: no copy, no allocation per byte.
import { createHash, randomBytes } from 'node:crypto';

const BLOCK_BYTES = 8 * 1024 * 1024;
const HEADER_BYTES = 16;
const sharedRandom = randomBytes(BLOCK_BYTES);
let nonceCounter = 0;

export interface Payload {
  readonly size: number;
  /** `sha256:<hex>`, computed by a first pass over the bytes before any timing starts. */
  readonly digest: string;
  /** Yields bytes [start, end) of the payload. */
  range(start: number, end: number): AsyncIterable<Uint8Array>;
}

function blockHeader(nonce: Buffer, blockIndex: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  nonce.copy(header, 0, 0, 8);
  header.writeBigUInt64BE(BigInt(blockIndex), 8);
  return header;
}

function* slices(nonce: Buffer, start: number, end: number): Generator<Uint8Array> {
  let offset = start;
  while (offset < end) {
    const blockIndex = Math.floor(offset / BLOCK_BYTES);
    const within = offset % BLOCK_BYTES;
    const blockEnd = Math.min(end, (blockIndex + 1) * BLOCK_BYTES);
    const stop = blockEnd - blockIndex * BLOCK_BYTES;
    if (within < HEADER_BYTES) {
      yield blockHeader(nonce, blockIndex).subarray(within, Math.min(stop, HEADER_BYTES));
    }
    if (stop > HEADER_BYTES) yield sharedRandom.subarray(Math.max(within, HEADER_BYTES), stop);
    offset = blockEnd;
  }
}

/** Makes a payload of `size` bytes that no earlier payload of this process shares. */
export function makePayload(size: number): Payload {
  const nonce = Buffer.alloc(8);
  nonce.writeUInt32BE(process.pid, 0);
  nonce.writeUInt32BE(++nonceCounter, 4);
  const hash = createHash('sha256');
  for (const slice of slices(nonce, 0, size)) hash.update(slice);
  const digest = `sha256:${hash.digest('hex')}`;
  return {
    size,
    digest,
    range: (start, end) => toAsync(slices(nonce, start, end)),
  };
}

async function* toAsync(source: Iterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* source;
}
