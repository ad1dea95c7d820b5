// The ScannerRegistrationStore on the metadata database (Kysely; SQLite and PostgreSQL): tables
// vulnerability_scanners and vulnerability_scanner_namespaces (migration 0011). It shares the
// Kysely instance with the other stores and never closes it.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';
import type { NamespaceScannerChoice, ScannerRegistrationStore, ScannerSource, StoredScannerRegistration } from '../ports/scanner-registration-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables, VulnerabilityScannerNamespacesTable, VulnerabilityScannersTable } from './schema.js';

export interface SqlScannerRegistrationStoreOptions {
  /** The clock that stamps created_at and updated_at (default: the system clock). */
  clock?: () => Date;
}

/** Who a config file's registration is recorded as changed by. */
export const configActor = 'config';

type Db = Kysely<MetadataTables> | Transaction<MetadataTables>;

export class SqlScannerRegistrationStore implements ScannerRegistrationStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the metadata store; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlScannerRegistrationStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  async listScanners(): Promise<StoredScannerRegistration[]> {
    const rows = await this.#db.selectFrom('vulnerability_scanners').selectAll().orderBy('name').execute();
    return rows.map(decodeScanner);
  }

  getScanner(name: string): Promise<StoredScannerRegistration | undefined> {
    return this.#get(this.#db, name);
  }

  createScanner(scanner: VulnerabilityScannerConfig, secret: string | undefined, source: ScannerSource, actor: string): Promise<StoredScannerRegistration | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const now = this.#now();
      if (scanner.default) await clearDefault(trx);
      const inserted = await trx
        .insertInto('vulnerability_scanners')
        .values({ name: scanner.name, ...columnsOf(scanner), secret: secret ?? null, source, created_at: now, updated_at: now, updated_by: actor })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      // Taken: roll back the default cleared above.
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) throw new NameTaken();
      return this.#get(trx, scanner.name);
    }).catch((error: unknown) => {
      if (error instanceof NameTaken) return undefined;
      throw error;
    });
  }

  updateScanner(scanner: VulnerabilityScannerConfig, secret: string | null | undefined, actor: string): Promise<StoredScannerRegistration | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      if (scanner.default) await clearDefault(trx, scanner.name);
      const updated = await trx
        .updateTable('vulnerability_scanners')
        .set({ ...columnsOf(scanner), ...(secret === undefined ? {} : { secret }), updated_at: this.#now(), updated_by: actor })
        .where('name', '=', scanner.name)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return undefined;
      return this.#get(trx, scanner.name);
    });
  }

  async recordConfigured(scanner: VulnerabilityScannerConfig): Promise<{ created: boolean }> {
    if ((await this.createScanner(scanner, undefined, 'config', configActor)) !== undefined) return { created: true };
    await this.#db.transaction().execute(async (trx) => {
      const stored = await this.#get(trx, scanner.name);
      const changed = stored?.source !== 'config' || stored.secret !== undefined || JSON.stringify(columnsOf(stored.scanner)) !== JSON.stringify(columnsOf(scanner));
      if (!changed) return;
      if (scanner.default) await clearDefault(trx, scanner.name);
      // The file is the truth of its scanners: an API registration of the same name becomes the file's.
      await trx
        .updateTable('vulnerability_scanners')
        .set({ ...columnsOf(scanner), secret: null, source: 'config', updated_at: this.#now(), updated_by: configActor })
        .where('name', '=', scanner.name)
        .execute();
    });
    return { created: false };
  }

  async deleteScanner(name: string): Promise<boolean> {
    const deleted = await this.#db.deleteFrom('vulnerability_scanners').where('name', '=', name).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  setDefault(name: string | null, actor: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      if (name !== null && !(await this.#get(trx, name))) return false;
      await clearDefault(trx, name ?? undefined, { updated_at: this.#now(), updated_by: actor });
      if (name !== null) {
        await trx.updateTable('vulnerability_scanners').set({ is_default: 1, updated_at: this.#now(), updated_by: actor }).where('name', '=', name).execute();
      }
      return true;
    });
  }

  async listNamespaceChoices(): Promise<NamespaceScannerChoice[]> {
    const rows = await this.#db.selectFrom('vulnerability_scanner_namespaces').selectAll().orderBy('namespace').execute();
    return rows.map(decodeChoice);
  }

  async putNamespaceChoice(namespace: string, scanners: readonly string[], actor: string): Promise<NamespaceScannerChoice> {
    const row = { namespace, scanners: JSON.stringify(scanners), updated_at: this.#now(), updated_by: actor };
    await this.#db
      .insertInto('vulnerability_scanner_namespaces')
      .values(row)
      .onConflict((oc) => oc.column('namespace').doUpdateSet({ scanners: row.scanners, updated_at: row.updated_at, updated_by: actor }))
      .execute();
    const stored = await this.#db.selectFrom('vulnerability_scanner_namespaces').selectAll().where('namespace', '=', namespace).executeTakeFirstOrThrow();
    return decodeChoice(stored);
  }

  async deleteNamespaceChoice(namespace: string): Promise<boolean> {
    const deleted = await this.#db.deleteFrom('vulnerability_scanner_namespaces').where('namespace', '=', namespace).executeTakeFirst();
    return deleted.numDeletedRows > 0n;
  }

  async #get(db: Db, name: string): Promise<StoredScannerRegistration | undefined> {
    const row = await db.selectFrom('vulnerability_scanners').selectAll().where('name', '=', name).executeTakeFirst();
    return row && decodeScanner(row);
  }

  #now(): Date | number {
    return encodeTimestamp(this.dialect, this.#clock());
  }
}

class NameTaken extends Error {}

/** No scanner but `except` is the default any more (the one-default index would refuse the next). */
async function clearDefault(trx: Db, except?: string, stamp: { updated_at?: Date | number; updated_by?: string } = {}): Promise<void> {
  let query = trx.updateTable('vulnerability_scanners').set({ is_default: 0, ...stamp }).where('is_default', '=', 1);
  if (except !== undefined) query = query.where('name', '!=', except);
  await query.execute();
}

function columnsOf(scanner: VulnerabilityScannerConfig) {
  const { default: isDefault, enabled, ...definition } = scanner;
  return { definition: JSON.stringify(definition), is_default: isDefault ? 1 : 0, enabled: enabled ? 1 : 0 };
}

function decodeScanner(row: Selectable<VulnerabilityScannersTable>): StoredScannerRegistration {
  const definition = JSON.parse(row.definition) as Omit<VulnerabilityScannerConfig, 'default' | 'enabled'>;
  return {
    scanner: { ...definition, default: row.is_default === 1, enabled: row.enabled === 1 },
    secret: row.secret ?? undefined,
    source: row.source,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
    updatedBy: row.updated_by,
  };
}

function decodeChoice(row: Selectable<VulnerabilityScannerNamespacesTable>): NamespaceScannerChoice {
  return { namespace: row.namespace, scanners: JSON.parse(row.scanners) as string[], updatedAt: decodeTimestamp(row.updated_at), updatedBy: row.updated_by };
}
