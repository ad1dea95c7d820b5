// What names of users, robots, roles and namespaces may look like. The store keeps any
// string; these checks run where names come in (bootstrap, the admin API and CLI).
import { allNamespaces } from '../ports/identity-store.js';

/** Lower-case, 1-64 characters, no `:` (Basic auth splits there) and no `/`. */
const principalName = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
/** oslo.policy compares roles case-insensitively: roles are stored lower-case. */
const roleName = /^[a-z][a-z0-9_-]{0,63}$/;
/** One path component of a repository name (the distribution-spec grammar). */
const namespaceName = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

export class InvalidNameError extends Error {
  constructor(what: string, name: string, rule: string) {
    super(`invalid ${what} name ${JSON.stringify(name)}: ${rule}`);
    this.name = 'InvalidNameError';
  }
}

export function assertPrincipalName(name: string): void {
  if (!principalName.test(name)) throw new InvalidNameError('user or robot', name, 'use 1-64 of a-z 0-9 . _ -, starting and ending with a letter or digit');
}

export function assertRoleName(name: string): void {
  if (!roleName.test(name)) throw new InvalidNameError('role', name, 'use 1-64 of a-z 0-9 _ -, starting with a letter');
}

/** A namespace (the first path component of a repository), or `*` for all. */
export function assertNamespaceSelector(name: string): void {
  if (name !== allNamespaces && (name.length > 255 || !namespaceName.test(name))) {
    throw new InvalidNameError('namespace', name, 'use a repository path component (a-z 0-9 separated by . _ __ -) or *');
  }
}
