// IdentityStore: who exists and what they are bound to — users, robot accounts, role
// bindings per namespace, and the registry token service's signing keys. Adapter: SQL on
// the metadata database (src/metadata/sql-identity-store.ts). Every adapter runs
// src/metadata/identity-store.suite.ts.
//
// The store keeps what it is given: it hashes nothing and checks no name's format
// (src/auth/ does both); it guarantees uniqueness, atomicity and the cascades named below.

export type PrincipalKind = 'user' | 'robot';

/** A user or a robot account, by id. */
export interface PrincipalRef {
  kind: PrincipalKind;
  id: string;
}

export interface UserRecord {
  id: string;
  /** Unique among users. */
  name: string;
  /** An argon2id PHC string (src/auth/passwords.ts). */
  passwordHash: string;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  name: string;
  passwordHash: string;
  disabled?: boolean;
}

export interface UserChanges {
  passwordHash?: string;
  disabled?: boolean;
}

export interface RobotRecord {
  id: string;
  /** Unique among robots (a user may have the same name: principals are typed). */
  name: string;
  /** The user who owns it: a disabled owner's robots are refused, a deleted owner's are deleted. */
  ownerId: string;
  description: string;
  /** SHA-256 of the token's secret part, hex (src/auth/api-tokens.ts). */
  tokenHash: string;
  /** After this moment the token is refused; null: never expires. */
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewRobot {
  name: string;
  ownerId: string;
  description?: string;
  tokenHash: string;
  expiresAt?: Date | null;
}

/** Any namespace, present and future. */
export const allNamespaces = '*';

export interface RoleBinding {
  principal: PrincipalRef;
  /** A namespace name, or `*` for all. */
  namespace: string;
  /** Role names are data: `admin`, `maintainer`, `member`, `reader` are only the defaults. */
  role: string;
}

export interface BindingFilter {
  principal?: PrincipalRef;
  namespace?: string;
  role?: string;
}

export interface SigningKeyRecord {
  /** Key id in the JWT header: the RFC 7638 thumbprint of the public key. */
  kid: string;
  /** JWS algorithm, e.g. `EdDSA`. */
  algorithm: string;
  publicJwk: Record<string, unknown>;
  /** The private key as a JWK (JSON text). Kept in the database as it is. */
  privateJwk: string;
  createdAt: Date;
  /** null while current; when it was replaced otherwise (it still verifies for a while). */
  retiredAt: Date | null;
}

export type NewSigningKey = Omit<SigningKeyRecord, 'createdAt' | 'retiredAt'>;

/** A name (user, robot) that is taken already. */
export class IdentityConflictError extends Error {
  constructor(what: string) {
    super(`${what} exists already`);
    this.name = 'IdentityConflictError';
  }
}

/** An operation on a principal (or owner) that does not exist. */
export class IdentityNotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'IdentityNotFoundError';
  }
}

export interface IdentityStore {
  /**
   * Creates a user and its role bindings in one transaction: either all exist afterwards or
   * none. Throws IdentityConflictError when the name is taken.
   */
  createUser(user: NewUser, bindings?: readonly Omit<RoleBinding, 'principal'>[]): Promise<UserRecord>;
  getUser(id: string): Promise<UserRecord | undefined>;
  findUserByName(name: string): Promise<UserRecord | undefined>;
  /** Sorted by name (bytes). */
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** Changes what is given and stamps updatedAt; undefined when there is no such user. */
  updateUser(id: string, changes: UserChanges): Promise<UserRecord | undefined>;
  /** Deletes the user, its robots and every binding of both, in one transaction. */
  deleteUser(id: string): Promise<boolean>;

  /** Throws IdentityConflictError for a taken name, IdentityNotFoundError for a missing owner. */
  createRobot(robot: NewRobot): Promise<RobotRecord>;
  getRobot(id: string): Promise<RobotRecord | undefined>;
  findRobotByName(name: string): Promise<RobotRecord | undefined>;
  /** Sorted by name; only one owner's when given. */
  listRobots(ownerId?: string): Promise<RobotRecord[]>;
  /** Replaces the token (the old one stops working at once); undefined when no such robot. */
  setRobotToken(id: string, tokenHash: string, expiresAt: Date | null): Promise<RobotRecord | undefined>;
  /** Records a use; never moves lastUsedAt backwards. */
  touchRobot(id: string, at: Date): Promise<void>;
  /** Deletes the robot and its bindings in one transaction. */
  deleteRobot(id: string): Promise<boolean>;

  /** Adds a binding; false when it existed. Throws IdentityNotFoundError for a missing principal. */
  bind(binding: RoleBinding): Promise<boolean>;
  /** Removes a binding; false when there was none. */
  unbind(binding: RoleBinding): Promise<boolean>;
  /** Sorted by principal, namespace, role. */
  listBindings(filter?: BindingFilter): Promise<RoleBinding[]>;
  /** The roles a principal holds in a namespace: bound there or on `*`, sorted, no repeats. */
  rolesFor(principal: PrincipalRef, namespace: string): Promise<string[]>;

  /**
   * Makes `key` the current signing key and retires the previous current one(s) at `now`,
   * in one transaction: there is never more than one current key.
   */
  rotateSigningKey(key: NewSigningKey): Promise<SigningKeyRecord>;
  /** The current key (retiredAt null), if any. */
  currentSigningKey(): Promise<SigningKeyRecord | undefined>;
  getSigningKey(kid: string): Promise<SigningKeyRecord | undefined>;
  /** The current key and every key retired at or after `retiredSince`, newest first. */
  verificationKeys(retiredSince: Date): Promise<SigningKeyRecord[]>;
  /** Deletes keys retired before `retiredBefore`; returns how many. */
  pruneSigningKeys(retiredBefore: Date): Promise<number>;
}
