// The MetadataStore on Kysely, one set of queries for SQLite and PostgreSQL. Writes that
// touch several rows run in one transaction; listings page by byte order (see
// migrations/column-types.ts); whole-store walks page through the table by key.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Digest } from '../domain/digest.js';
import type { ScanScope } from '../domain/scan-scope.js';
import type {
  BlobLink,
  ManifestKey,
  ManifestRecord,
  ManifestReference,
  MetadataStore,
  NewManifest,
  Page,
  UploadSession,
} from '../ports/metadata-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { imagesIn } from './image-walk.js';
import { migrateToLatest } from './migrations/index.js';
import { decodeBlobLink, decodeManifest, decodeTimestamp, encodeAnnotations, encodeTimestamp } from './rows.js';
import type { MetadataTables } from './schema.js';
import { keyAfter, walkByKey, type RepositoryDigestKey } from './walk.js';

export interface SqlMetadataStoreOptions {
  /** Rows fetched per query by allBlobs/allManifests (tests make it small to cross pages). */
  walkPageSize?: number;
  /**
   * Whether close() destroys the Kysely instance (default true). Pass false when the same
   * instance serves others too (the job queue): on SQLite a process must share one
   * connection, since two better-sqlite3 connections in one process block each other.
   */
  ownsDatabase?: boolean;
  /** Flushes committed writes (SQLite: the WAL; see wal-sync.ts). Absent: commits are durable. */
  sync?: () => Promise<void>;
}

/** Rows per multi-row INSERT of references: well under SQLite's bound-parameter limit. */
const referencesPerInsert = 500;

export class SqlMetadataStore implements MetadataStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #walkPageSize: number;
  readonly #ownsDatabase: boolean;
  readonly #sync: (() => Promise<void>) | undefined;

  constructor(db: Kysely<MetadataTables>, options: SqlMetadataStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#walkPageSize = options.walkPageSize ?? 500;
    this.#ownsDatabase = options.ownsDatabase ?? true;
    this.#sync = options.sync;
  }

  async migrate(): Promise<void> {
    await migrateToLatest(this.#db, this.dialect);
  }

  async sync(): Promise<void> {
    await this.#sync?.();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  async close(): Promise<void> {
    if (this.#ownsDatabase) await this.#db.destroy();
  }

  async linkBlob(repository: string, blob: BlobLink): Promise<void> {
    const now = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      await this.#ensureRepository(trx, repository, now);
      await trx
        .insertInto('blob_links')
        .values({ repository, digest: blob.digest, size: blob.size, created_at: now })
        .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
        .execute();
    });
  }

  async getBlob(repository: string, digest: Digest): Promise<BlobLink | undefined> {
    const row = await this.#db
      .selectFrom('blob_links')
      .select(['digest', 'size'])
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row && decodeBlobLink(row);
  }

  async findBlob(digest: Digest): Promise<BlobLink | undefined> {
    const link = await this.#db.selectFrom('blob_links').select(['digest', 'size']).where('digest', '=', digest).limit(1).executeTakeFirst();
    if (link) return decodeBlobLink(link);
    const manifest = await this.#db.selectFrom('manifests').select(['digest', 'size']).where('digest', '=', digest).limit(1).executeTakeFirst();
    return manifest && decodeBlobLink(manifest);
  }

  async unlinkBlob(repository: string, digest: Digest): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('blob_links')
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createUpload(session: { id: string; repository: string }): Promise<void> {
    await this.#db
      .insertInto('upload_sessions')
      .values({ id: session.id, repository: session.repository, created_at: this.#now() })
      .execute();
  }

  async getUpload(id: string): Promise<UploadSession | undefined> {
    const row = await this.#db.selectFrom('upload_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, repository: row.repository, createdAt: decodeTimestamp(row.created_at) };
  }

  async deleteUpload(id: string): Promise<void> {
    await this.#db.deleteFrom('upload_sessions').where('id', '=', id).execute();
  }

  async putManifest(manifest: NewManifest, tag?: string): Promise<void> {
    const now = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      await this.#ensureRepository(trx, manifest.repository, now);
      const inserted = await trx
        .insertInto('manifests')
        .values({
          repository: manifest.repository,
          digest: manifest.digest,
          media_type: manifest.mediaType,
          size: manifest.size,
          artifact_type: manifest.artifactType,
          subject: manifest.subject,
          annotations: encodeAnnotations(manifest.annotations),
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['repository', 'digest']).doNothing())
        .executeTakeFirst();
      // A manifest's content is fixed by its digest: when it is already there, so are its
      // references, and only the tag can change.
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) > 0n) await insertReferences(trx, manifest);
      if (tag !== undefined) await this.#upsertTag(trx, manifest.repository, tag, manifest.digest, now);
    });
  }

  async getManifest(repository: string, digest: Digest): Promise<ManifestRecord | undefined> {
    const row = await this.#db
      .selectFrom('manifests')
      .selectAll()
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row && decodeManifest(row);
  }

  async getManifestReferences(repository: string, digest: Digest): Promise<ManifestReference[]> {
    const rows = await this.#db
      .selectFrom('manifest_references')
      .select(['referenced_digest', 'kind'])
      .where('repository', '=', repository)
      .where('manifest_digest', '=', digest)
      .orderBy('referenced_digest')
      .execute();
    return rows.map((row) => ({ digest: row.referenced_digest as Digest, kind: row.kind }));
  }

  async referencingManifests(repository: string, digests: readonly Digest[]): Promise<{ referenced: Digest; manifest: ManifestRecord }[]> {
    if (digests.length === 0) return [];
    const rows = await this.#db
      .selectFrom('manifest_references as r')
      .innerJoin('manifests as m', (join) => join.onRef('m.repository', '=', 'r.repository').onRef('m.digest', '=', 'r.manifest_digest'))
      .selectAll('m')
      .select('r.referenced_digest')
      .where('r.repository', '=', repository)
      .where('r.referenced_digest', 'in', [...new Set(digests)])
      .orderBy('m.digest')
      .execute();
    return rows.map(({ referenced_digest, ...row }) => ({ referenced: referenced_digest as Digest, manifest: decodeManifest(row) }));
  }

  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    // References and tags go with it by ON DELETE CASCADE (migration 0001).
    const result = await this.#db
      .deleteFrom('manifests')
      .where('repository', '=', repository)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async resolveTag(repository: string, tag: string): Promise<Digest | undefined> {
    const row = await this.#db
      .selectFrom('tags')
      .select('digest')
      .where('repository', '=', repository)
      .where('tag', '=', tag)
      .executeTakeFirst();
    return row?.digest as Digest | undefined;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('tags').where('repository', '=', repository).where('tag', '=', tag).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listTags(repository: string, page: Page = {}): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('tags')
      .select('tag')
      .where('repository', '=', repository)
      .$if(page.last !== undefined, (qb) => qb.where('tag', '>', page.last!))
      .orderBy('tag')
      .$if(page.n !== undefined, (qb) => qb.limit(page.n!))
      .execute();
    return rows.map((row) => row.tag);
  }

  async listReferrers(repository: string, subject: Digest, artifactType?: string): Promise<ManifestRecord[]> {
    const rows = await this.#db
      .selectFrom('manifests')
      .selectAll()
      .where('repository', '=', repository)
      .where('subject', '=', subject)
      .$if(artifactType !== undefined, (qb) => qb.where('artifact_type', '=', artifactType!))
      .orderBy('digest')
      .execute();
    return rows.map(decodeManifest);
  }

  async repositoryExists(repository: string): Promise<boolean> {
    const row = await this.#db.selectFrom('repositories').select('name').where('name', '=', repository).executeTakeFirst();
    return row !== undefined;
  }

  async listRepositories(page: Page = {}): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('repositories')
      .select('name')
      .$if(page.last !== undefined, (qb) => qb.where('name', '>', page.last!))
      .orderBy('name')
      .$if(page.n !== undefined, (qb) => qb.limit(page.n!))
      .execute();
    return rows.map((row) => row.name);
  }

  async listImages(scope: ScanScope, options: { after?: ManifestKey; limit: number }): Promise<ManifestRecord[]> {
    const { after, limit } = options;
    const rows = await imagesIn(this.#db, scope)
      .selectAll()
      .$if(after !== undefined, (qb) => qb.where(keyAfter(after!)))
      .orderBy('repository')
      .orderBy('digest')
      .limit(limit)
      .execute();
    return rows.map(decodeManifest);
  }

  async countImageDigests(scope: ScanScope): Promise<number> {
    const row = await imagesIn(this.#db, scope)
      .select((eb) => eb.fn.count('digest').distinct().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async *allBlobs(): AsyncIterable<BlobLink & { repository: string }> {
    const rows = walkByKey(this.#walkPageSize, (after: RepositoryDigestKey | undefined) =>
      this.#db
        .selectFrom('blob_links')
        .select(['repository', 'digest', 'size'])
        .$if(after !== undefined, (qb) => qb.where(keyAfter(after!)))
        .orderBy('repository')
        .orderBy('digest')
        .limit(this.#walkPageSize)
        .execute(),
    );
    for await (const row of rows) yield { repository: row.repository, ...decodeBlobLink(row) };
  }

  async *allManifests(): AsyncIterable<ManifestRecord> {
    const rows = walkByKey(this.#walkPageSize, (after: RepositoryDigestKey | undefined) =>
      this.#db
        .selectFrom('manifests')
        .selectAll()
        .$if(after !== undefined, (qb) => qb.where(keyAfter(after!)))
        .orderBy('repository')
        .orderBy('digest')
        .limit(this.#walkPageSize)
        .execute(),
    );
    for await (const row of rows) yield decodeManifest(row);
  }

  #now(): Date | number {
    return encodeTimestamp(this.dialect, new Date());
  }

  async #ensureRepository(trx: Transaction<MetadataTables>, name: string, now: Date | number): Promise<void> {
    await trx
      .insertInto('repositories')
      .values({ name, created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async #upsertTag(trx: Transaction<MetadataTables>, repository: string, tag: string, digest: Digest, now: Date | number): Promise<void> {
    await trx
      .insertInto('tags')
      .values({ repository, tag, digest, updated_at: now })
      .onConflict((oc) => oc.columns(['repository', 'tag']).doUpdateSet({ digest, updated_at: now }))
      .execute();
  }
}

async function insertReferences(trx: Transaction<MetadataTables>, manifest: NewManifest): Promise<void> {
  // A digest may appear twice in one manifest (the same layer twice): store it once.
  const unique = new Map(manifest.references.map((reference) => [reference.digest, reference.kind]));
  const rows = [...unique].map(([digest, kind]) => ({
    repository: manifest.repository,
    manifest_digest: manifest.digest,
    referenced_digest: digest,
    kind,
  }));
  for (let start = 0; start < rows.length; start += referencesPerInsert) {
    await trx.insertInto('manifest_references').values(rows.slice(start, start + referencesPerInsert)).execute();
  }
}
