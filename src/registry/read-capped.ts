// Reads a small body (a manifest) into memory, refusing it as soon as it passes the cap,
// so an oversized or endless body is never buffered whole. The stream is not destroyed on
// refusal: destroying a request would kill the socket before the 413 could be sent.
import type { Readable } from 'node:stream';
import { RegistryError } from '../domain/errors.js';

export async function readCapped(stream: Readable, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buffer.length;
    if (total > maxBytes) {
      throw new RegistryError('MANIFEST_INVALID', `${what} is larger than the ${maxBytes}-byte limit`, {
        status: 413,
        detail: { limit: maxBytes },
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, total);
}
