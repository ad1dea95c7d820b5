// Byte ranges: `Range: bytes=...` on blob GET (RFC 9110) and `Content-Range: <start>-<end>`
// on chunked uploads (distribution spec).
import { RegistryError } from '../../domain/errors.js';
import type { ByteRange } from '../../ports/blob-store.js';
import type { ChunkRange } from '../../registry/uploads.js';

/**
 * Parses a single-range `Range` header against a blob of `size` bytes. Undefined means
 * "serve the whole blob" (no header, or a form we ignore such as several ranges); an
 * unsatisfiable range is a 416 carrying `Content-Range: bytes * /size`.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first, last] = match as unknown as [string, string, string];
  const unsatisfiable = () =>
    new RegistryError('RANGE_INVALID', `range ${header} is not satisfiable for ${size} bytes`, {
      headers: { 'content-range': `bytes */${size}` },
    });
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}

/** Parses an upload chunk's `Content-Range: <start>-<end>` (also tolerating a `bytes ` prefix). */
export function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match) {
    throw new RegistryError('RANGE_INVALID', `malformed Content-Range: ${header}`, { detail: { contentRange: header } });
  }
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new RegistryError('RANGE_INVALID', `Content-Range ends before it starts: ${header}`);
  return { start, end };
}
