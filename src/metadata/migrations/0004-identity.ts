// Identity (src/metadata/sql-identity-store.ts): users, robot accounts, role bindings per
// namespace, and the registry token service's signing keys.
// Role bindings name their principal by (kind, id) rather than by a foreign key (a
// principal is a user or a robot): the store deletes a principal's bindings with it.
import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';
import { columnTypes } from './column-types.js';

export function identity(dialect: DialectKind): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('name', t.key, (col) => col.notNull().unique())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        // 0 or 1 on both dialects: better-sqlite3 cannot bind a boolean.
        .addColumn('disabled', 'integer', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .addCheckConstraint('users_disabled', sql`disabled in (0, 1)`)
        .execute();

      await db.schema
        .createTable('robots')
        .addColumn('id', t.key, (col) => col.primaryKey())
        .addColumn('name', t.key, (col) => col.notNull().unique())
        .addColumn('owner_id', t.key, (col) => col.notNull().references('users.id'))
        .addColumn('description', 'text', (col) => col.notNull())
        .addColumn('token_hash', 'text', (col) => col.notNull())
        .addColumn('expires_at', t.timestamp)
        .addColumn('last_used_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('updated_at', t.timestamp, (col) => col.notNull())
        .execute();
      // listRobots(owner) and deleteUser's cascade.
      await db.schema.createIndex('robots_owner_id').on('robots').column('owner_id').execute();

      await db.schema
        .createTable('role_bindings')
        .addColumn('principal_kind', 'text', (col) => col.notNull())
        .addColumn('principal_id', t.key, (col) => col.notNull())
        .addColumn('namespace', t.key, (col) => col.notNull())
        .addColumn('role', t.key, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addPrimaryKeyConstraint('role_bindings_pk', ['principal_kind', 'principal_id', 'namespace', 'role'])
        .addCheckConstraint('role_bindings_principal_kind', sql`principal_kind in ('user', 'robot')`)
        .execute();
      // "Who holds which role in this namespace" for the admin API.
      await db.schema.createIndex('role_bindings_namespace_role').on('role_bindings').columns(['namespace', 'role']).execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', t.key, (col) => col.primaryKey())
        .addColumn('algorithm', 'text', (col) => col.notNull())
        .addColumn('public_jwk', t.json, (col) => col.notNull())
        .addColumn('private_jwk', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull())
        .addColumn('retired_at', t.timestamp)
        .execute();
    },
  };
}
