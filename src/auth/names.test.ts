import { describe, expect, it } from 'vitest';
import { assertNamespaceSelector, assertPrincipalName, assertRoleName, InvalidNameError } from './names.js';

describe('names', () => {
  it('accepts principal names that are safe in Basic auth and URLs', () => {
    for (const name of ['admin', 'a', 'ci-bot', 'team.deploy_2', '0day']) expect(() => assertPrincipalName(name)).not.toThrow();
    for (const name of ['', 'Admin', 'a:b', 'a/b', '-x', 'x-', 'x'.repeat(65), 'é']) expect(() => assertPrincipalName(name)).toThrow(InvalidNameError);
  });

  it('accepts any lower-case role name: roles are data', () => {
    for (const name of ['admin', 'reader', 'security-auditor', 'x_1']) expect(() => assertRoleName(name)).not.toThrow();
    for (const name of ['', 'Admin', '1st', 'a b', 'role:admin']) expect(() => assertRoleName(name)).toThrow(InvalidNameError);
  });

  it('accepts namespaces and the wildcard', () => {
    for (const name of ['*', 'team', 'my.team', 'a__b', 'a--b']) expect(() => assertNamespaceSelector(name)).not.toThrow();
    for (const name of ['', 'Team', 'a/b', '**', '_a', 'a.']) expect(() => assertNamespaceSelector(name)).toThrow(InvalidNameError);
  });
});
