// The IdentityStore on the metadata database (Kysely; SQLite and PostgreSQL): tables users,
// robots, role_bindings and signing_keys (migration 0004). It shares the Kysely instance
// with the other stores and never closes it.
//
// Writes that touch several rows run in one transaction. On SQLite every transaction is
// BEGIN IMMEDIATE (database.ts), so they are serialized; on PostgreSQL the rows they depend
// on are locked (FOR SHARE / FOR UPDATE) or, for key rotation, an advisory lock is taken.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import {
  IdentityConflictError,
  IdentityNotFoundError,
  type BindingFilter,
  type IdentityStore,
  type NewRobot,
  type NewSigningKey,
  type NewUser,
  type PrincipalRef,
  type RobotRecord,
  type RoleBinding,
  type SigningKeyRecord,
  type UserChanges,
  type UserRecord,
} from '../ports/identity-store.js';
import { dialectOf, type DialectKind } from './database.js';
import { decodeSigningKey, decodeTimestamp, encodeTimestamp } from './rows.js';
import type { MetadataTables, RobotsTable, UsersTable } from './schema.js';

export interface SqlIdentityStoreOptions {
  /** The clock that stamps records (default: the system clock). */
  clock?: () => Date;
}

/** Any fixed number: the advisory lock that serializes key rotations on PostgreSQL. */
const rotationLockId = 0x5c_a9_6a_7e;

type Db = Kysely<MetadataTables> | Transaction<MetadataTables>;

export class SqlIdentityStore implements IdentityStore {
  readonly dialect: DialectKind;
  readonly #db: Kysely<MetadataTables>;
  readonly #clock: () => Date;

  /** Shares `db` with the other stores; the caller closes it. */
  constructor(db: Kysely<MetadataTables>, options: SqlIdentityStoreOptions = {}) {
    this.#db = db;
    this.dialect = dialectOf(db);
    this.#clock = options.clock ?? (() => new Date());
  }

  // --- users ---------------------------------------------------------------------------

  async createUser(user: NewUser, bindings: readonly Omit<RoleBinding, 'principal'>[] = []): Promise<UserRecord> {
    const now = this.#now();
    const row = { id: randomUUID(), name: user.name, password_hash: user.passwordHash, disabled: user.disabled ? 1 : 0, created_at: now, updated_at: now };
    await this.#db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('users')
        .values(row)
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) throw new IdentityConflictError(`user ${user.name}`);
      for (const binding of bindings) await insertBinding(trx, { principal: { kind: 'user', id: row.id }, ...binding }, now);
    });
    return decodeUser(row);
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && decodeUser(row);
  }

  async findUserByName(name: string): Promise<UserRecord | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return row && decodeUser(row);
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(decodeUser);
  }

  async countUsers(): Promise<number> {
    const row = await this.#db.selectFrom('users').select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async updateUser(id: string, changes: UserChanges): Promise<UserRecord | undefined> {
    const set = {
      updated_at: this.#now(),
      ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
      ...(changes.disabled !== undefined && { disabled: changes.disabled ? 1 : 0 }),
    };
    const result = await this.#db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.getUser(id) : undefined;
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      // Locked first, so that a racing createRobot either commits before the robots are
      // read here or waits and then finds no owner.
      await trx.selectFrom('users').select('id').where('id', '=', id).$if(this.dialect === 'postgres', (qb) => qb.forUpdate()).execute();
      const robots = await trx.selectFrom('robots').select('id').where('owner_id', '=', id).execute();
      const robotIds = robots.map((robot) => robot.id);
      if (robotIds.length > 0) {
        await trx.deleteFrom('role_bindings').where('principal_kind', '=', 'robot').where('principal_id', 'in', robotIds).execute();
        await trx.deleteFrom('robots').where('id', 'in', robotIds).execute();
      }
      await deleteBindingsOf(trx, { kind: 'user', id });
      const result = await trx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  // --- robots --------------------------------------------------------------------------

  async createRobot(robot: NewRobot): Promise<RobotRecord> {
    const now = this.#now();
    const row = {
      id: randomUUID(),
      name: robot.name,
      owner_id: robot.ownerId,
      description: robot.description ?? '',
      token_hash: robot.tokenHash,
      expires_at: robot.expiresAt ? this.#encode(robot.expiresAt) : null,
      last_used_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.#db.transaction().execute(async (trx) => {
      // The owner is locked so that a racing deleteUser cannot leave this robot orphaned.
      if (!(await this.#lockUser(trx, robot.ownerId))) throw new IdentityNotFoundError(`owner ${robot.ownerId}`);
      const inserted = await trx
        .insertInto('robots')
        .values(row)
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) throw new IdentityConflictError(`robot ${robot.name}`);
    });
    return decodeRobot(row);
  }

  async getRobot(id: string): Promise<RobotRecord | undefined> {
    const row = await this.#db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst();
    return row && decodeRobot(row);
  }

  async findRobotByName(name: string): Promise<RobotRecord | undefined> {
    const row = await this.#db.selectFrom('robots').selectAll().where('name', '=', name).executeTakeFirst();
    return row && decodeRobot(row);
  }

  async listRobots(ownerId?: string): Promise<RobotRecord[]> {
    const rows = await this.#db
      .selectFrom('robots')
      .selectAll()
      .$if(ownerId !== undefined, (qb) => qb.where('owner_id', '=', ownerId!))
      .orderBy('name')
      .execute();
    return rows.map(decodeRobot);
  }

  async setRobotToken(id: string, tokenHash: string, expiresAt: Date | null): Promise<RobotRecord | undefined> {
    const set = { token_hash: tokenHash, expires_at: expiresAt ? this.#encode(expiresAt) : null, updated_at: this.#now() };
    const result = await this.#db.updateTable('robots').set(set).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n ? this.getRobot(id) : undefined;
  }

  async touchRobot(id: string, at: Date): Promise<void> {
    const moment = this.#encode(at);
    await this.#db
      .updateTable('robots')
      .set({ last_used_at: moment })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', moment)]))
      .execute();
  }

  async deleteRobot(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await deleteBindingsOf(trx, { kind: 'robot', id });
      const result = await trx.deleteFrom('robots').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  // --- role bindings -------------------------------------------------------------------

  async bind(binding: RoleBinding): Promise<boolean> {
    const now = this.#now();
    return this.#db.transaction().execute(async (trx) => {
      if (!(await this.#lockPrincipal(trx, binding.principal))) {
        throw new IdentityNotFoundError(`${binding.principal.kind} ${binding.principal.id}`);
      }
      return insertBinding(trx, binding, now);
    });
  }

  async unbind(binding: RoleBinding): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('role_bindings')
      .where('principal_kind', '=', binding.principal.kind)
      .where('principal_id', '=', binding.principal.id)
      .where('namespace', '=', binding.namespace)
      .where('role', '=', binding.role)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listBindings(filter: BindingFilter = {}): Promise<RoleBinding[]> {
    const { principal, namespace, role } = filter;
    const rows = await this.#db
      .selectFrom('role_bindings')
      .select(['principal_kind', 'principal_id', 'namespace', 'role'])
      .$if(principal !== undefined, (qb) => qb.where('principal_kind', '=', principal!.kind).where('principal_id', '=', principal!.id))
      .$if(namespace !== undefined, (qb) => qb.where('namespace', '=', namespace!))
      .$if(role !== undefined, (qb) => qb.where('role', '=', role!))
      .orderBy('principal_kind')
      .orderBy('principal_id')
      .orderBy('namespace')
      .orderBy('role')
      .execute();
    return rows.map((row) => ({ principal: { kind: row.principal_kind, id: row.principal_id }, namespace: row.namespace, role: row.role }));
  }

  async rolesFor(principal: PrincipalRef, namespace: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('role_bindings')
      .select('role')
      .distinct()
      .where('principal_kind', '=', principal.kind)
      .where('principal_id', '=', principal.id)
      .where('namespace', 'in', [namespace, '*'])
      .orderBy('role')
      .execute();
    return rows.map((row) => row.role);
  }

  // --- signing keys --------------------------------------------------------------------

  async rotateSigningKey(key: NewSigningKey): Promise<SigningKeyRecord> {
    const now = this.#now();
    const row = { kid: key.kid, algorithm: key.algorithm, public_jwk: JSON.stringify(key.publicJwk), private_jwk: key.privateJwk, created_at: now, retired_at: null };
    await this.#db.transaction().execute(async (trx) => {
      // Two rotations at once must not both see "no current key" after retiring: serialize.
      if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${rotationLockId})`.execute(trx);
      await trx.updateTable('signing_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
      await trx.insertInto('signing_keys').values(row).execute();
    });
    return decodeSigningKey(row);
  }

  async currentSigningKey(): Promise<SigningKeyRecord | undefined> {
    const row = await this.#db
      .selectFrom('signing_keys')
      .selectAll()
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row && decodeSigningKey(row);
  }

  async getSigningKey(kid: string): Promise<SigningKeyRecord | undefined> {
    const row = await this.#db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
    return row && decodeSigningKey(row);
  }

  async verificationKeys(retiredSince: Date): Promise<SigningKeyRecord[]> {
    const since = this.#encode(retiredSince);
    const rows = await this.#db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>=', since)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
    return rows.map(decodeSigningKey);
  }

  async pruneSigningKeys(retiredBefore: Date): Promise<number> {
    const result = await this.#db.deleteFrom('signing_keys').where('retired_at', '<', this.#encode(retiredBefore)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // --- helpers -------------------------------------------------------------------------

  #now(): Date | number {
    return this.#encode(this.#clock());
  }

  #encode(moment: Date): Date | number {
    return encodeTimestamp(this.dialect, moment);
  }

  /** True when the principal exists; on PostgreSQL its row stays locked until commit. */
  async #lockPrincipal(trx: Transaction<MetadataTables>, principal: PrincipalRef): Promise<boolean> {
    if (principal.kind === 'user') return this.#lockUser(trx, principal.id);
    const row = await trx
      .selectFrom('robots')
      .select('id')
      .where('id', '=', principal.id)
      .$if(this.dialect === 'postgres', (qb) => qb.forShare())
      .executeTakeFirst();
    return row !== undefined;
  }

  async #lockUser(trx: Transaction<MetadataTables>, id: string): Promise<boolean> {
    const row = await trx
      .selectFrom('users')
      .select('id')
      .where('id', '=', id)
      .$if(this.dialect === 'postgres', (qb) => qb.forShare())
      .executeTakeFirst();
    return row !== undefined;
  }
}

async function insertBinding(db: Db, binding: RoleBinding, now: Date | number): Promise<boolean> {
  const inserted = await db
    .insertInto('role_bindings')
    .values({ principal_kind: binding.principal.kind, principal_id: binding.principal.id, namespace: binding.namespace, role: binding.role, created_at: now })
    .onConflict((oc) => oc.columns(['principal_kind', 'principal_id', 'namespace', 'role']).doNothing())
    .executeTakeFirst();
  return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

async function deleteBindingsOf(db: Db, principal: PrincipalRef): Promise<void> {
  await db.deleteFrom('role_bindings').where('principal_kind', '=', principal.kind).where('principal_id', '=', principal.id).execute();
}

function decodeUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    name: row.name,
    passwordHash: row.password_hash,
    disabled: row.disabled === 1,
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
  };
}

function decodeRobot(row: Selectable<RobotsTable>): RobotRecord {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    description: row.description,
    tokenHash: row.token_hash,
    expiresAt: row.expires_at === null ? null : decodeTimestamp(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : decodeTimestamp(row.last_used_at),
    createdAt: decodeTimestamp(row.created_at),
    updatedAt: decodeTimestamp(row.updated_at),
  };
}

