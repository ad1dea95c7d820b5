// Digests as the image-spec defines them: `algorithm:encoded`. scangate accepts sha256
// and sha512 (the registered algorithms); anything else is rejected as DIGEST_INVALID
// by callers, never passed to the blob store.
import { createHash, type Hash } from 'node:crypto';

export type Algorithm = 'sha256' | 'sha512';
export const supportedAlgorithms: readonly Algorithm[] = ['sha256', 'sha512'];

/** A validated digest string, e.g. `sha256:9f86d0...`. */
export type Digest = string & { readonly __brand: 'Digest' };

const encodedLength: Record<Algorithm, number> = { sha256: 64, sha512: 128 };
const digestPattern = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export interface ParsedDigest {
  algorithm: Algorithm;
  hex: string;
}

/** Parses a digest; returns undefined for malformed or unsupported ones. */
export function parseDigest(value: string): ParsedDigest | undefined {
  const match = digestPattern.exec(value);
  if (!match) return undefined;
  const algorithm = match[1] as Algorithm;
  const hex = match[2]!;
  if (!supportedAlgorithms.includes(algorithm)) return undefined;
  if (hex.length !== encodedLength[algorithm] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex };
}

export function isDigest(value: string): value is Digest {
  return parseDigest(value) !== undefined;
}

export function asDigest(value: string): Digest {
  if (!isDigest(value)) throw new TypeError(`not a supported digest: ${value}`);
  return value;
}

export function digestOf(algorithm: Algorithm, hash: Hash): Digest {
  return `${algorithm}:${hash.digest('hex')}` as Digest;
}

export function newHash(algorithm: Algorithm): Hash {
  return createHash(algorithm);
}

export function digestBytes(bytes: Uint8Array | string, algorithm: Algorithm = 'sha256'): Digest {
  return digestOf(algorithm, createHash(algorithm).update(bytes));
}
