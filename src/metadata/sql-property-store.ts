// The PropertyStore on the metadata database (Kysely; SQLite and PostgreSQL): table
// artifact_properties (migration 0005), keyed by (repository, digest) under `manifests`,
// and file_properties (migration 0009), keyed by (repository, path) under `files`. The two
// have the same shape but for their key column, and every query is written once over it.
// Shares the Kysely instance with the other stores.
//
// An update locks its subject's row (the manifest or the file entry: FOR UPDATE on
// PostgreSQL; SQLite's BEGIN IMMEDIATE serializes every write transaction), so concurrent
// patches of one subject run one after the other and each plans against what the previous
// one wrote.
import { type Kysely } from 'kysely';
import type { Digest } from '../domain/digest.js';
import type { PropertyRecord, PropertyStore, PropertySubject, PropertyWrites } from '../ports/property-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables } from './schema.js';

export interface SqlPropertyStoreOptions {
  clock?: () => Date;
}

/** Where a subject's properties live: their table, the row they belong to, and its key. */
type SubjectTables =
  | { properties: 'artifact_properties'; owner: 'manifests'; key: 'digest'; value: string }
  | { properties: 'file_properties'; owner: 'files'; key: 'path'; value: string };

function tablesOf(subject: PropertySubject): SubjectTables {
  return subject.kind === 'artifact'
    ? { properties: 'artifact_properties', owner: 'manifests', key: 'digest', value: subject.digest }
    : { properties: 'file_properties', owner: 'files', key: 'path', value: subject.path };
}

export class SqlPropertyStore implements PropertyStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  constructor(db: Kysely<MetadataTables>, options: SqlPropertyStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async list(subject: PropertySubject): Promise<PropertyRecord[]> {
    const t = tablesOf(subject);
    const rows = await this.#db
      .selectFrom(t.properties)
      .select(['name', 'value', 'updated_by', 'updated_at'])
      .where('repository', '=', subject.repository)
      .where(t.key, '=', t.value)
      .orderBy('name')
      .execute();
    return rows.map((row) => ({ name: row.name, value: row.value, updatedBy: row.updated_by, updatedAt: decodeTimestamp(row.updated_at) }));
  }

  async valuesFor(repository: string, digests: readonly Digest[]): Promise<Map<Digest, Record<string, string>>> {
    const values = new Map<Digest, Record<string, string>>();
    if (digests.length === 0) return values;
    const rows = await this.#db
      .selectFrom('artifact_properties')
      .select(['digest', 'name', 'value'])
      .where('repository', '=', repository)
      .where('digest', 'in', [...new Set(digests)])
      .execute();
    for (const row of rows) {
      const digest = row.digest as Digest;
      let map = values.get(digest);
      if (!map) values.set(digest, (map = Object.create(null) as Record<string, string>));
      map[row.name] = row.value;
    }
    return values;
  }

  async update<T>(
    subject: PropertySubject,
    actor: string,
    plan: (current: Readonly<Record<string, string>>) => { writes: PropertyWrites; result: T },
  ): Promise<T | undefined> {
    const t = tablesOf(subject);
    const { repository } = subject;
    return this.#db.transaction().execute(async (trx) => {
      const owner = await trx
        .selectFrom(t.owner)
        .select('repository')
        .where('repository', '=', repository)
        .where(t.key, '=', t.value)
        .$if(this.dialect === 'postgres', (qb) => qb.forUpdate())
        .executeTakeFirst();
      if (!owner) return undefined;
      const rows = await trx.selectFrom(t.properties).select(['name', 'value']).where('repository', '=', repository).where(t.key, '=', t.value).execute();
      const current = Object.create(null) as Record<string, string>;
      for (const row of rows) current[row.name] = row.value;
      const { writes, result } = plan(current);
      const removed = writes.remove.filter((name) => !Object.hasOwn(writes.set, name));
      if (removed.length > 0) {
        await trx.deleteFrom(t.properties).where('repository', '=', repository).where(t.key, '=', t.value).where('name', 'in', removed).execute();
      }
      const now = encodeTimestamp(this.dialect, this.#clock());
      const set = Object.entries(writes.set).map(([name, value]) => ({ repository, [t.key]: t.value, name, value, updated_by: actor, updated_at: now }));
      if (set.length > 0) {
        await trx
          .insertInto(t.properties)
          .values(set)
          .onConflict((oc) =>
            oc.columns(['repository', t.key, 'name']).doUpdateSet((eb) => ({
              value: eb.ref('excluded.value'),
              updated_by: eb.ref('excluded.updated_by'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
      return result;
    });
  }
}
