// Column types that differ between the dialects, so that migrations state each column once.
import { sql, type ColumnDataType, type Expression } from 'kysely';
import type { DialectKind } from '../database.js';

type DataType = ColumnDataType | Expression<unknown>;

export interface ColumnTypes {
  /**
   * Names, tags and digests. On PostgreSQL in the "C" collation, so that ORDER BY and `>`
   * compare bytes, as SQLite's default BINARY collation does: pagination with `last` then
   * gives the same pages on both (a locale collation would sort `a-b`, `aB`, `a_b` otherwise).
   */
  key: DataType;
  /** Byte counts, which pass 2^31 for large layers. */
  size: DataType;
  /** A moment: TIMESTAMPTZ on PostgreSQL, epoch milliseconds on SQLite (see timestamps.ts). */
  timestamp: DataType;
  /** A JSON document, kept as text on both (nothing queries inside it). */
  json: DataType;
}

export function columnTypes(dialect: DialectKind): ColumnTypes {
  if (dialect === 'postgres') {
    return { key: sql`text collate "C"`, size: 'bigint', timestamp: 'timestamptz', json: 'text' };
  }
  return { key: 'text', size: 'integer', timestamp: 'integer', json: 'text' };
}
