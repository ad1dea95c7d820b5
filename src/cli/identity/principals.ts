// Names on the command line -> the records they name, with the errors an operator reads
// (an unknown user is a failed operation; a malformed name is bad usage).
import { assertNamespaceSelector, assertPrincipalName, assertRoleName } from '../../auth/names.js';
import type { IdentityStore, PrincipalKind, PrincipalRef, RobotRecord, RoleBinding, UserRecord } from '../../ports/identity-store.js';
import { OperationFailed, UsageError } from './run.js';

export async function requireUser(store: IdentityStore, name: string): Promise<UserRecord> {
  assertPrincipalName(name);
  const user = await store.findUserByName(name);
  if (user === undefined) throw new OperationFailed(`unknown user ${JSON.stringify(name)}`);
  return user;
}

export async function requireRobot(store: IdentityStore, name: string): Promise<RobotRecord> {
  assertPrincipalName(name);
  const robot = await store.findRobotByName(name);
  if (robot === undefined) throw new OperationFailed(`unknown robot ${JSON.stringify(name)}`);
  return robot;
}

export interface PrincipalFlags {
  user?: string;
  robot?: string;
}

export interface NamedPrincipal {
  ref: PrincipalRef;
  name: string;
}

/** Exactly one of --user and --robot, resolved. */
export async function requirePrincipal(store: IdentityStore, flags: PrincipalFlags): Promise<NamedPrincipal> {
  if ((flags.user === undefined) === (flags.robot === undefined)) throw new UsageError('give exactly one of --user NAME and --robot NAME');
  if (flags.user !== undefined) return { ref: { kind: 'user', id: (await requireUser(store, flags.user)).id }, name: flags.user };
  return { ref: { kind: 'robot', id: (await requireRobot(store, flags.robot!)).id }, name: flags.robot! };
}

/** A checked namespace and role pair. */
export function bindingOf(namespace: string, role: string): Omit<RoleBinding, 'principal'> {
  assertNamespaceSelector(namespace);
  assertRoleName(role);
  return { namespace, role };
}

/** Repeated `--role R --namespace NS` pairs, matched in order; a repeated pair counts once. */
export function bindingPairs(roles: readonly string[] = [], namespaces: readonly string[] = []): Omit<RoleBinding, 'principal'>[] {
  if (roles.length !== namespaces.length) {
    throw new UsageError(`give --role and --namespace in pairs (got ${roles.length} --role and ${namespaces.length} --namespace)`);
  }
  const pairs = new Map(roles.map((role, index) => [`${namespaces[index]}\n${role}`, bindingOf(namespaces[index]!, role)]));
  return [...pairs.values()];
}

/** Display names of every principal, for listings of bindings (which hold ids). */
export async function principalNames(store: IdentityStore): Promise<(ref: PrincipalRef) => string> {
  const [users, robots] = await Promise.all([store.listUsers(), store.listRobots()]);
  const names: Record<PrincipalKind, Map<string, string>> = {
    user: new Map(users.map((user) => [user.id, user.name])),
    robot: new Map(robots.map((robot) => [robot.id, robot.name])),
  };
  return (ref) => names[ref.kind].get(ref.id) ?? ref.id;
}

/** `ns:role, ns:role` for a table cell. */
export function describeBindings(bindings: readonly Omit<RoleBinding, 'principal'>[]): string {
  return bindings.length === 0 ? '-' : bindings.map((binding) => `${binding.namespace}:${binding.role}`).join(', ');
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
