// Turning rows into the port's records, the same on both dialects: PostgreSQL returns
// BIGINT as a decimal string and TIMESTAMPTZ as Date; SQLite stores moments as epoch
// milliseconds (better-sqlite3 cannot bind a Date) and returns numbers.
import type { Selectable } from 'kysely';
import type { Digest } from '../domain/digest.js';
import type { SigningKeyRecord } from '../ports/identity-store.js';
import type { BlobLink, ManifestRecord } from '../ports/metadata-store.js';
import type { Finding, Verdict } from '../ports/scanner.js';
import type { DialectKind } from './database.js';
import type { ManifestsTable, SigningKeysTable } from './schema.js';

/** What to write into a timestamp column for `moment` on this dialect. */
export function encodeTimestamp(dialect: DialectKind, moment: Date): Date | number {
  return dialect === 'sqlite' ? moment.getTime() : moment;
}

export function decodeTimestamp(value: Date | number | string): Date {
  if (value instanceof Date) return value;
  return new Date(typeof value === 'number' ? value : Number(value));
}

export function decodeSize(value: number | string): number {
  const size = Number(value);
  if (!Number.isSafeInteger(size)) throw new RangeError(`size out of range: ${value}`);
  return size;
}

export function decodeBlobLink(row: { digest: string; size: number | string }): BlobLink {
  return { digest: row.digest as Digest, size: decodeSize(row.size) };
}

export function encodeAnnotations(annotations: Record<string, string> | null): string | null {
  return annotations === null ? null : JSON.stringify(annotations);
}

export function decodeManifest(row: Selectable<ManifestsTable>): ManifestRecord {
  return {
    repository: row.repository,
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: decodeSize(row.size),
    artifactType: row.artifact_type,
    subject: row.subject as Digest | null,
    annotations: row.annotations === null ? null : (JSON.parse(row.annotations) as Record<string, string>),
    createdAt: decodeTimestamp(row.created_at),
  };
}

/** `items` in lists of at most `size` (an `IN (...)` list or a multi-row INSERT under SQLite's parameter limit). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** A signing key row (registry token keys and report keys share the shape). */
export function decodeSigningKey(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
    privateJwk: row.private_jwk,
    createdAt: decodeTimestamp(row.created_at),
    retiredAt: row.retired_at === null ? null : decodeTimestamp(row.retired_at),
  };
}

/** What a verdict-cache row holds besides its key (tables verdicts and bucket_verdicts). */
export interface VerdictColumns {
  verdict: Verdict;
  findings: Finding[];
  durationMs: number;
  scannedAt: Date;
}

export function encodeVerdictColumns(dialect: DialectKind, verdict: VerdictColumns) {
  return {
    verdict: verdict.verdict,
    findings: JSON.stringify(verdict.findings),
    // Whole milliseconds: scanners time with performance.now(), the column is an integer.
    duration_ms: Math.max(0, Math.round(verdict.durationMs)),
    scanned_at: encodeTimestamp(dialect, verdict.scannedAt),
  };
}

export function decodeVerdictColumns(row: { verdict: Verdict; findings: string; duration_ms: number; scanned_at: Date | number | string }): VerdictColumns {
  return {
    verdict: row.verdict,
    findings: JSON.parse(row.findings) as Finding[],
    durationMs: Number(row.duration_ms),
    scannedAt: decodeTimestamp(row.scanned_at),
  };
}
