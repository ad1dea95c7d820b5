// Hashing helpers shared by the blob stores: a pass-through that feeds a hash as bytes
// stream by, and a re-hash of a staged file for when no in-memory hash state exists.
import { createReadStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Hash } from 'node:crypto';
import { digestOf, newHash, type Algorithm, type Digest } from '../domain/digest.js';

/** Large reads: fewer syscalls and stream turns per GiB (memory stays ~1 MiB per reader). */
export const readChunkBytes = 1024 * 1024;

/** A pass-through that hashes every chunk before handing it on, so hashing overlaps the write. */
export function hashingTap(hash: Hash, onBytes: (n: number) => void = () => {}): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** Hashes a whole file, streamed (never buffered whole). */
export async function hashFile(path: string, algorithm: Algorithm, signal?: AbortSignal): Promise<Digest> {
  const hash = newHash(algorithm);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback();
    },
  });
  await pipeline(createReadStream(path, { highWaterMark: readChunkBytes }), sink, { signal });
  return digestOf(algorithm, hash);
}
