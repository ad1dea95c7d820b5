// Identity administration by name: the operations behind both the `scangate user|robot|
// role|keys` commands and the /admin identity API, so that the two cannot drift apart.
//
// Secrets leave only once, in what these methods return (a generated password, a robot
// token); the views never hold a hash or a private key. Failures are IdentityAdminError
// (unknown name, no such binding, an expired token kept), the store's IdentityConflictError
// and IdentityNotFoundError, and the checks' InvalidNameError and PasswordPolicyError: each
// front end turns them into its exit code or HTTP status.
import type { IdentityStore, PrincipalKind, PrincipalRef, RobotRecord, RoleBinding, SigningKeyRecord, UserRecord } from '../ports/identity-store.js';
import { assertNamespaceSelector, assertPrincipalName, assertRoleName } from './names.js';
import { generatePassword, hashPassword } from './passwords.js';
import { createRobotAccount, regenerateRobotToken } from './robots.js';
import { RegistryTokenService } from './token-service.js';

/** `not_found`: no such user, robot or binding; `invalid`: the request cannot be done as asked. */
export type IdentityAdminFailure = 'not_found' | 'invalid';

export class IdentityAdminError extends Error {
  constructor(
    readonly failure: IdentityAdminFailure,
    message: string,
  ) {
    super(message);
    this.name = 'IdentityAdminError';
  }
}

export interface NamespaceRole {
  /** A namespace, or `*` for every namespace. */
  namespace: string;
  role: string;
}

/** A user or robot by name. */
export interface PrincipalName {
  kind: PrincipalKind;
  name: string;
}

export interface UserView {
  name: string;
  disabled: boolean;
  roles: NamespaceRole[];
  createdAt: Date;
  updatedAt: Date;
}

export interface RobotView {
  name: string;
  owner: string;
  description: string;
  roles: NamespaceRole[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export interface BindingView extends PrincipalName, NamespaceRole {}

export interface SigningKeyView {
  kid: string;
  algorithm: string;
  createdAt: Date;
  retiredAt: Date | null;
  current: boolean;
  /** When a retired key stops verifying; null for the current key. */
  verifiesUntil: Date | null;
}

export interface NewUserRequest {
  name: string;
  /** Absent: one is generated and returned once. */
  password?: string | undefined;
  roles?: readonly NamespaceRole[] | undefined;
}

export interface NewRobotRequest {
  name: string;
  /** The owning user's name. */
  owner: string;
  description?: string | undefined;
  /** null or absent: never expires. */
  expiresAt?: Date | null | undefined;
  roles?: readonly NamespaceRole[] | undefined;
}

export interface BindingRequest extends NamespaceRole {
  principal: PrincipalName;
}

/** What key administration needs of the token service (the server's own, or standaloneKeys). */
export type SigningKeyService = Pick<RegistryTokenService, 'rotate' | 'pruneRetiredKeys' | 'retiredKeyGraceMs'>;

/**
 * A token service for key administration alone, with the default lifetimes (they set the
 * retired keys' grace period). Its issuer is never used: it neither issues nor verifies.
 * A server using the same store notices its rotations within its key cache time.
 */
export function standaloneKeys(store: IdentityStore): SigningKeyService {
  return new RegistryTokenService(store, { issuer: 'scangate' });
}

/** Checked and without repeats, in the order given. */
export function checkedBindings(roles: readonly NamespaceRole[] = []): NamespaceRole[] {
  const unique = new Map<string, NamespaceRole>();
  for (const { namespace, role } of roles) {
    assertNamespaceSelector(namespace);
    assertRoleName(role);
    unique.set(`${namespace}\n${role}`, { namespace, role });
  }
  return [...unique.values()];
}

export class IdentityAdmin {
  constructor(
    private readonly store: IdentityStore,
    private readonly keys: SigningKeyService = standaloneKeys(store),
  ) {}

  /** Creates the user with its roles in one transaction; returns a generated password once. */
  async createUser(request: NewUserRequest): Promise<{ user: UserView; generatedPassword?: string }> {
    assertPrincipalName(request.name);
    const bindings = checkedBindings(request.roles);
    const password = request.password ?? generatePassword();
    const user = await this.store.createUser({ name: request.name, passwordHash: await hashPassword(password) }, bindings);
    const view = await this.#describeUser(user);
    return request.password === undefined ? { user: view, generatedPassword: password } : { user: view };
  }

  async listUsers(): Promise<UserView[]> {
    return Promise.all((await this.store.listUsers()).map((user) => this.#describeUser(user)));
  }

  async getUser(name: string): Promise<UserView> {
    return this.#describeUser(await this.#user(name));
  }

  /** Sets the password given, or a generated one that is returned once. */
  async setPassword(name: string, password?: string): Promise<{ user: UserView; generatedPassword?: string }> {
    const user = await this.#user(name);
    const chosen = password ?? generatePassword();
    const updated = await this.store.updateUser(user.id, { passwordHash: await hashPassword(chosen) });
    if (updated === undefined) throw unknown('user', name);
    const view = await this.#describeUser(updated);
    return password === undefined ? { user: view, generatedPassword: chosen } : { user: view };
  }

  /** A disabled user and its robots are refused at login. `changed` is false when it was so already. */
  async setDisabled(name: string, disabled: boolean): Promise<{ user: UserView; changed: boolean }> {
    const user = await this.#user(name);
    if (user.disabled === disabled) return { user: await this.#describeUser(user), changed: false };
    const updated = await this.store.updateUser(user.id, { disabled });
    if (updated === undefined) throw unknown('user', name);
    return { user: await this.#describeUser(updated), changed: true };
  }

  /** Deletes the user with its robots and every binding of both; returns the robots' names. */
  async deleteUser(name: string): Promise<{ robots: string[] }> {
    const user = await this.#user(name);
    const robots = await this.store.listRobots(user.id);
    if (!(await this.store.deleteUser(user.id))) throw unknown('user', name);
    return { robots: robots.map((robot) => robot.name) };
  }

  /** Creates the robot and binds its roles (all or nothing); returns its token once. */
  async createRobot(request: NewRobotRequest): Promise<{ robot: RobotView; token: string }> {
    assertPrincipalName(request.name);
    const bindings = checkedBindings(request.roles);
    const owner = await this.#user(request.owner);
    const { robot, token } = await createRobotAccount(this.store, {
      name: request.name,
      ownerId: owner.id,
      description: request.description ?? '',
      expiresAt: request.expiresAt ?? null,
    });
    try {
      for (const binding of bindings) await this.store.bind({ principal: { kind: 'robot', id: robot.id }, ...binding });
    } catch (error) {
      await this.store.deleteRobot(robot.id);
      throw error;
    }
    return { robot: await this.#describeRobot(robot, owner.name), token };
  }

  /** Sorted by name; only `owner`'s when given. */
  async listRobots(owner?: string): Promise<RobotView[]> {
    const ownerId = owner === undefined ? undefined : (await this.#user(owner)).id;
    const owners = new Map((await this.store.listUsers()).map((user) => [user.id, user.name]));
    return Promise.all((await this.store.listRobots(ownerId)).map((robot) => this.#describeRobot(robot, owners.get(robot.ownerId) ?? robot.ownerId)));
  }

  /**
   * A new token (the old one stops working at once), returned once. `expiresAt` undefined
   * keeps the current expiry, which is refused when it has passed.
   */
  async regenerateRobotToken(name: string, expiresAt?: Date | null, now = new Date()): Promise<{ robot: RobotView; token: string }> {
    const robot = await this.#robot(name);
    const renewed = await regenerateRobotToken(this.store, robot.id, expiresAt === undefined ? keptExpiry(robot, now) : expiresAt);
    if (renewed === undefined) throw unknown('robot', name);
    const owner = await this.store.getUser(renewed.robot.ownerId);
    return { robot: await this.#describeRobot(renewed.robot, owner?.name ?? renewed.robot.ownerId), token: renewed.token };
  }

  async deleteRobot(name: string): Promise<void> {
    const robot = await this.#robot(name);
    if (!(await this.store.deleteRobot(robot.id))) throw unknown('robot', name);
  }

  /** Adds a binding; false when it existed already. */
  async bind(request: BindingRequest): Promise<boolean> {
    return this.store.bind(await this.#binding(request));
  }

  /** Removes a binding; IdentityAdminError `not_found` when there was none. */
  async unbind(request: BindingRequest): Promise<void> {
    if (!(await this.store.unbind(await this.#binding(request)))) {
      const { principal, namespace, role } = request;
      throw new IdentityAdminError('not_found', `${principal.kind} ${principal.name} has no role ${role} in ${namespace}`);
    }
  }

  /** Sorted by principal, namespace, role; only those of `principal` or `namespace` when given. */
  async listBindings(filter: { principal?: PrincipalName | undefined; namespace?: string | undefined } = {}): Promise<BindingView[]> {
    if (filter.namespace !== undefined) assertNamespaceSelector(filter.namespace);
    const principal = filter.principal === undefined ? undefined : await this.#principal(filter.principal);
    const nameOf = await this.#principalNames();
    const bindings = await this.store.listBindings({
      ...(principal ? { principal } : {}),
      ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}),
    });
    return bindings.map((binding) => ({ kind: binding.principal.kind, name: nameOf(binding.principal), namespace: binding.namespace, role: binding.role }));
  }

  /** Every signing key, newest first: the current one and all retired ones. Never a private part. */
  async listSigningKeys(): Promise<SigningKeyView[]> {
    return (await this.store.verificationKeys(new Date(0))).map((key) => this.#describeKey(key));
  }

  /** A new current key; the previous one keeps verifying the tokens it signed until they expire. */
  async rotateSigningKey(): Promise<SigningKeyView> {
    return this.#describeKey(await this.keys.rotate());
  }

  /** Deletes keys retired longer ago than the grace period; returns how many. */
  async pruneSigningKeys(): Promise<number> {
    return this.keys.pruneRetiredKeys();
  }

  async #user(name: string): Promise<UserRecord> {
    assertPrincipalName(name);
    const user = await this.store.findUserByName(name);
    if (user === undefined) throw unknown('user', name);
    return user;
  }

  async #robot(name: string): Promise<RobotRecord> {
    assertPrincipalName(name);
    const robot = await this.store.findRobotByName(name);
    if (robot === undefined) throw unknown('robot', name);
    return robot;
  }

  async #principal(principal: PrincipalName): Promise<PrincipalRef> {
    const record = principal.kind === 'user' ? await this.#user(principal.name) : await this.#robot(principal.name);
    return { kind: principal.kind, id: record.id };
  }

  async #binding(request: BindingRequest): Promise<RoleBinding> {
    const [binding] = checkedBindings([request]);
    return { principal: await this.#principal(request.principal), ...binding! };
  }

  /** Display names of every principal, for listings of bindings (which hold ids). */
  async #principalNames(): Promise<(ref: PrincipalRef) => string> {
    const [users, robots] = await Promise.all([this.store.listUsers(), this.store.listRobots()]);
    const names: Record<PrincipalKind, Map<string, string>> = {
      user: new Map(users.map((user) => [user.id, user.name])),
      robot: new Map(robots.map((robot) => [robot.id, robot.name])),
    };
    return (ref) => names[ref.kind].get(ref.id) ?? ref.id;
  }

  async #rolesOf(principal: PrincipalRef): Promise<NamespaceRole[]> {
    return (await this.store.listBindings({ principal })).map(({ namespace, role }) => ({ namespace, role }));
  }

  /** Never the password hash. */
  async #describeUser(user: UserRecord): Promise<UserView> {
    const roles = await this.#rolesOf({ kind: 'user', id: user.id });
    return { name: user.name, disabled: user.disabled, roles, createdAt: user.createdAt, updatedAt: user.updatedAt };
  }

  /** Never the token hash. */
  async #describeRobot(robot: RobotRecord, owner: string): Promise<RobotView> {
    return {
      name: robot.name,
      owner,
      description: robot.description,
      roles: await this.#rolesOf({ kind: 'robot', id: robot.id }),
      expiresAt: robot.expiresAt,
      lastUsedAt: robot.lastUsedAt,
      createdAt: robot.createdAt,
    };
  }

  #describeKey(key: SigningKeyRecord): SigningKeyView {
    return {
      kid: key.kid,
      algorithm: key.algorithm,
      createdAt: key.createdAt,
      retiredAt: key.retiredAt,
      current: key.retiredAt === null,
      verifiesUntil: key.retiredAt === null ? null : new Date(key.retiredAt.getTime() + this.keys.retiredKeyGraceMs),
    };
  }

}

/** Also for a record deleted by someone else between our read and our write. */
function unknown(kind: PrincipalKind, name: string): IdentityAdminError {
  return new IdentityAdminError('not_found', `unknown ${kind} ${JSON.stringify(name)}`);
}

/** Without a new expiry a new token keeps the old one, unless it has passed. */
function keptExpiry(robot: RobotRecord, now: Date): Date | null {
  if (robot.expiresAt !== null && robot.expiresAt.getTime() <= now.getTime()) {
    throw new IdentityAdminError('invalid', `the token of robot ${robot.name} expired at ${robot.expiresAt.toISOString()}: give the new token an expiry`);
  }
  return robot.expiresAt;
}
