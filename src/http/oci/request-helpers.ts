// Small readers of request details shared by the /v2/ handlers.
import type { FastifyRequest } from 'fastify';
import { parseDigest, type Digest } from '../../domain/digest.js';
import { digestInvalid } from '../../domain/errors.js';

/** A query parameter as a string array (repeated `?tag=a&tag=b` or a single value). */
export function queryValues(request: FastifyRequest, key: string): string[] {
  const value = (request.query as Record<string, unknown>)[key];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function queryValue(request: FastifyRequest, key: string): string | undefined {
  return queryValues(request, key)[0];
}

/** Validates a digest from a path or query; malformed or unsupported is DIGEST_INVALID (400). */
export function requireDigest(value: string | undefined, where: string): Digest {
  if (value === undefined || value === '') throw digestInvalid({ reason: `${where}: digest is required` });
  if (!parseDigest(value)) throw digestInvalid({ digest: value, reason: `${where}: malformed or unsupported digest` });
  return value as Digest;
}

/** Whether the request carries a body (a length above zero, or chunked transfer encoding). */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return request.headers['transfer-encoding'] !== undefined;
}

export function blobLocation(name: string, digest: string): string {
  return `/v2/${name}/blobs/${digest}`;
}

export function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}
