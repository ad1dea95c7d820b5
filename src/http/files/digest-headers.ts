// Digests on the wire for files. In: the sha256 a client says its upload has, as
// `?sha256=<hex>`, `Digest: SHA-256=<base64>` (RFC 3230) or `Content-Digest:
// sha-256=:<base64>:` (RFC 9530); other algorithms in those headers are ignored, as RFC 9530
// lets a receiver do. Out: the same field for a file's bytes.
import { z } from 'zod';
import type { Digest } from '../../domain/digest.js';
import { digestInvalid } from '../../domain/errors.js';

const hex = z.string().regex(/^[0-9a-fA-F]{64}$/);

function fromHex(value: string): Digest {
  return `sha256:${value.toLowerCase()}` as Digest;
}

function fromBase64(value: string, header: string): Digest {
  const bytes = Buffer.from(value, 'base64');
  // Buffer.from skips what is not base64; a round trip tells a clean value from one that was not.
  if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    throw digestInvalid({ header, value, reason: `${header}: sha-256 must be the base64 of 32 bytes` });
  }
  return fromHex(bytes.toString('hex'));
}

/** The sha-256 member of a comma-separated list of `algorithm=value` (parameters after `;` ignored). */
function sha256Member(field: string, unwrap: (value: string) => string | undefined, header: string): Digest | undefined {
  for (const member of field.split(',')) {
    const [key, ...rest] = member.split(';', 1)[0]!.split('=');
    if (key?.trim().toLowerCase() !== 'sha-256') continue;
    const value = unwrap(rest.join('=').trim());
    if (value === undefined) throw digestInvalid({ header, value: member.trim(), reason: `${header}: malformed sha-256 value` });
    return fromBase64(value, header);
  }
  return undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The sha256 the client sent, from the query (`sha256`) and, for a raw body, the headers;
 * undefined when none. Malformed, or several that disagree: DIGEST_INVALID (400).
 */
export function expectedDigest(query: unknown, headers: Record<string, string | string[] | undefined> | undefined): Digest | undefined {
  const found: Digest[] = [];
  const raw = (query as Record<string, unknown> | undefined)?.['sha256'];
  if (raw !== undefined) {
    const parsed = hex.safeParse(raw);
    if (!parsed.success) throw digestInvalid({ sha256: raw, reason: 'sha256 must be 64 hexadecimal digits' });
    found.push(fromHex(parsed.data));
  }
  const contentDigest = headers && headerValue(headers['content-digest']);
  if (contentDigest !== undefined) {
    const digest = sha256Member(contentDigest, (v) => /^:([^:]*):$/.exec(v)?.[1], 'Content-Digest');
    if (digest) found.push(digest);
  }
  const legacy = headers && headerValue(headers['digest']);
  if (legacy !== undefined) {
    const digest = sha256Member(legacy, (v) => (v === '' ? undefined : v), 'Digest');
    if (digest) found.push(digest);
  }
  if (new Set(found).size > 1) throw digestInvalid({ digests: found, reason: 'the digests sent for the body disagree' });
  return found[0];
}

/** `sha-256=:<base64>:` (RFC 9530) for a sha256 digest. */
export function sha256Field(digest: Digest): string {
  return `sha-256=:${Buffer.from(digest.slice('sha256:'.length), 'hex').toString('base64')}:`;
}
