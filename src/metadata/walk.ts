// Walks a whole table a page at a time, by key (`WHERE key > last ORDER BY key LIMIT n`),
// so that fsck and garbage collection never hold more than one page in memory and a
// long walk does not slow down as OFFSET would.
import { sql, type RawBuilder } from 'kysely';

/** The key of the tables walked so far (blob_links, manifests): (repository, digest). */
export interface RepositoryDigestKey {
  repository: string;
  digest: string;
}

/** `(repository, digest) > (after)`: a row-value comparison, which SQLite and PostgreSQL both index. */
export function keyAfter(after: RepositoryDigestKey): RawBuilder<boolean> {
  return sql<boolean>`(repository, digest) > (${after.repository}, ${after.digest})`;
}

/** Yields every row of every page; `fetchPage(after)` returns up to `pageSize` rows after `after`. */
export async function* walkByKey<Key, Row extends Key>(
  pageSize: number,
  fetchPage: (after: Key | undefined) => Promise<Row[]>,
): AsyncGenerator<Row> {
  let after: Key | undefined;
  for (;;) {
    const rows = await fetchPage(after);
    yield* rows;
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1];
  }
}
