// Hashes bytes as they pass: the chunks are handed on unchanged, each fed to the hash first,
// so a stream's digest is known the moment it has been stored, without reading it twice.
import type { Hash } from 'node:crypto';

/** Hands the chunks on unchanged, feeding `hash` as they pass (back-pressure is the consumer's). */
export async function* hashing(source: AsyncIterable<Uint8Array>, hash: Hash): AsyncIterable<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}
