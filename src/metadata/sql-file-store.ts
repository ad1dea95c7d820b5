// The FileStore on the metadata database (Kysely; SQLite and PostgreSQL): table `files`
// (migration 0007). Shares the Kysely instance with the other stores.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Digest } from '../domain/digest.js';
import type { FilePage, FileRecord, FileStore, NewFile } from '../ports/file-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeSize, decodeTimestamp, encodeTimestamp } from './rows.js';
import { walkByKey } from './walk.js';
import type { FilesTable, MetadataTables } from './schema.js';

export interface SqlFileStoreOptions {
  clock?: () => Date;
  /** Rows fetched per query by allFiles (tests make it small to cross pages). */
  walkPageSize?: number;
}

const columns = ['repository', 'path', 'digest', 'size', 'media_type', 'created_at'] as const;

export class SqlFileStore implements FileStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;
  readonly #walkPageSize: number;

  constructor(db: Kysely<MetadataTables>, options: SqlFileStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
    this.#walkPageSize = options.walkPageSize ?? 500;
  }

  async get(repository: string, path: string): Promise<FileRecord | undefined> {
    const row = await this.#db.selectFrom('files').select(columns).where('repository', '=', repository).where('path', '=', path).executeTakeFirst();
    return row && decodeFile(row);
  }

  async put(file: NewFile): Promise<FileRecord> {
    const createdAt = this.#clock();
    // One upsert: atomic on both dialects, so a reader never finds the path empty mid-replace.
    await this.#db
      .insertInto('files')
      .values({
        repository: file.repository,
        path: file.path,
        digest: file.digest,
        size: file.size,
        media_type: file.mediaType,
        created_at: encodeTimestamp(this.dialect, createdAt),
      })
      .onConflict((oc) =>
        oc.columns(['repository', 'path']).doUpdateSet((eb) => ({
          digest: eb.ref('excluded.digest'),
          size: eb.ref('excluded.size'),
          media_type: eb.ref('excluded.media_type'),
          created_at: eb.ref('excluded.created_at'),
        })),
      )
      .execute();
    return { ...file, createdAt };
  }

  async delete(repository: string, path: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('files').where('repository', '=', repository).where('path', '=', path).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(repository: string, page: FilePage): Promise<FileRecord[]> {
    const { prefix, last } = page;
    const rows = await this.#db
      .selectFrom('files')
      .select(columns)
      .where('repository', '=', repository)
      .$if(last !== undefined, (qb) => qb.where('path', '>', last!))
      // `>=` lets the primary key narrow the scan; substr() is the exact test. Not LIKE: it
      // treats % and _ as patterns, and SQLite's ignores ASCII case.
      .$if(prefix !== undefined && prefix !== '', (qb) =>
        qb.where('path', '>=', prefix!).where(sql<boolean>`substr(path, 1, ${codePoints(prefix!)}) = ${prefix!}`),
      )
      .orderBy('path')
      .limit(page.n)
      .execute();
    return rows.map(decodeFile);
  }

  async *allFiles(): AsyncIterable<FileRecord> {
    const rows = walkByKey(this.#walkPageSize, (after: { repository: string; path: string } | undefined) =>
      this.#db
        .selectFrom('files')
        .select(columns)
        // A row-value comparison, which SQLite and PostgreSQL both answer from the primary key.
        .$if(after !== undefined, (qb) => qb.where(sql<boolean>`(repository, path) > (${after!.repository}, ${after!.path})`))
        .orderBy('repository')
        .orderBy('path')
        .limit(this.#walkPageSize)
        .execute(),
    );
    for await (const row of rows) yield decodeFile(row);
  }

  async digestsInUse(digests: readonly Digest[]): Promise<Set<Digest>> {
    if (digests.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('files')
      .select('digest')
      .distinct()
      .where('digest', 'in', [...new Set(digests)])
      .execute();
    return new Set(rows.map((row) => row.digest as Digest));
  }

  async beginUpload(repository: string, digest: Digest): Promise<string> {
    const id = randomUUID();
    await this.#db.insertInto('file_uploads').values({ id, repository, digest, created_at: encodeTimestamp(this.dialect, this.#clock()) }).execute();
    return id;
  }

  async endUpload(id: string): Promise<void> {
    await this.#db.deleteFrom('file_uploads').where('id', '=', id).execute();
  }
}

/** SQL's substr and length count characters (code points), not UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function decodeFile(row: Pick<Selectable<FilesTable>, (typeof columns)[number]>): FileRecord {
  return {
    repository: row.repository,
    path: row.path,
    digest: row.digest as Digest,
    size: decodeSize(row.size),
    mediaType: row.media_type,
    createdAt: decodeTimestamp(row.created_at),
  };
}
