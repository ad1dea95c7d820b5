// Principals and roles as the command line names them (`--user`/`--robot`, `--role`/
// `--namespace` pairs), with the usage errors an operator reads. Resolving names to records
// is IdentityAdmin's (src/auth/identity-admin.ts).
import { checkedBindings, type NamespaceRole, type PrincipalName } from '../../auth/identity-admin.js';
import { UsageError } from './run.js';

export interface PrincipalFlags {
  user?: string;
  robot?: string;
}

/** Exactly one of --user and --robot. */
export function principalOf(flags: PrincipalFlags): PrincipalName {
  if ((flags.user === undefined) === (flags.robot === undefined)) throw new UsageError('give exactly one of --user NAME and --robot NAME');
  return flags.user !== undefined ? { kind: 'user', name: flags.user } : { kind: 'robot', name: flags.robot! };
}

/** Repeated `--role R --namespace NS` pairs, matched in order; a repeated pair counts once. */
export function bindingPairs(roles: readonly string[] = [], namespaces: readonly string[] = []): NamespaceRole[] {
  if (roles.length !== namespaces.length) {
    throw new UsageError(`give --role and --namespace in pairs (got ${roles.length} --role and ${namespaces.length} --namespace)`);
  }
  return checkedBindings(roles.map((role, index) => ({ namespace: namespaces[index]!, role })));
}

/** `ns:role, ns:role` for a table cell. */
export function describeBindings(bindings: readonly NamespaceRole[]): string {
  return bindings.length === 0 ? '-' : bindings.map((binding) => `${binding.namespace}:${binding.role}`).join(', ');
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
