// The one decision point for the /v2 API and /token: who the caller is (an identity, a
// registry token, or nobody) and whether the policy lets them do an action. The policy
// sees `creds = { roles, user_id, is_robot }` (roles in the repository's namespace plus
// global ones) and `target = buildTarget({ namespace, repository })`.
import type { FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../../auth/authenticate.js';
import type { RegistryTokenService } from '../../auth/token-service.js';
import { namespaceOf } from '../../domain/names.js';
import { allNamespaces, type IdentityStore } from '../../ports/identity-store.js';
import { buildTarget, type Decision, type PolicyEngine } from '../../policy/index.js';
import { catalogRule, type RepositoryAction } from './actions.js';

export interface AuthDeps {
  authenticator: Authenticator;
  tokens: Pick<RegistryTokenService, 'issue'>;
  policy: PolicyEngine;
  store: Pick<IdentityStore, 'rolesFor' | 'findUserByName' | 'findRobotByName'>;
  /** The token audience and the challenge's `service`. */
  service: string;
  /** The token endpoint for challenges; default `http(s)://HOST/token` from the request. */
  realm?: string;
  tokenTtlSeconds: number;
  /** Callers without credentials may pull where the policy allows `role:anonymous` to. */
  anonymousPull: boolean;
}

/** Nobody: no credentials. Rules see the single role `anonymous`. */
export const anonymous = { kind: 'anonymous' } as const;
export type Caller = Principal | typeof anonymous;

/**
 * The subject of tokens issued to nobody. The Authenticator accepts only `user:` and
 * `robot:` subjects, and no user can be named `-anonymous` (names start with a letter or
 * digit, src/auth/names.ts), so it cannot stand for anyone.
 */
export const anonymousTokenSubject = 'user:-anonymous';

/** The actions a token may carry on a repository (each is also a policy rule's name). */
export const repositoryActions: readonly RepositoryAction[] = ['pull', 'push', 'delete'];

export class AccessControl {
  constructor(readonly deps: AuthDeps) {}

  realmFor(request: FastifyRequest): string {
    return this.deps.realm ?? `${request.protocol}://${request.host}/token`;
  }

  /** The policy's decision on `action` (a rule name) for `repository`. */
  async decideRepository(caller: Caller, action: string, repository: string): Promise<Decision> {
    const namespace = namespaceOf(repository);
    return this.deps.policy.decideRule(action, buildTarget({ namespace, repository }), await this.credsFor(caller, namespace));
  }

  /** The catalog (and other registry-wide actions) are decided over global roles only. */
  async decideCatalog(caller: Caller): Promise<Decision> {
    return this.deps.policy.decideRule(catalogRule, {}, await this.credsFor(caller, allNamespaces));
  }

  /** What the policy grants of `requested` on a resource: the `authorize` of grantAccess. */
  async authorize(caller: Caller, resource: { type: string; name: string }, requested: readonly string[]): Promise<string[]> {
    if (resource.type === 'registry' && resource.name === 'catalog') {
      return (await this.decideCatalog(caller)).allowed ? ['*'] : [];
    }
    if (resource.type !== 'repository') return [];
    const asked = requested.filter(
      (action) =>
        (repositoryActions as readonly string[]).includes(action) &&
        (caller.kind !== 'anonymous' || (action === 'pull' && this.deps.anonymousPull)),
    );
    if (asked.length === 0) return [];
    // The caller's roles are looked up once for all the actions asked (pull,push is common).
    const namespace = namespaceOf(resource.name);
    const target = buildTarget({ namespace, repository: resource.name });
    const creds = await this.credsFor(caller, namespace);
    return asked.filter((action) => this.deps.policy.decideRule(action, target, creds).allowed);
  }

  /** Who a token's subject names now (undefined: anonymous, or gone since it was issued). */
  async callerOfSubject(subject: { kind: string; name: string }): Promise<Caller | undefined> {
    if (`${subject.kind}:${subject.name}` === anonymousTokenSubject) return anonymous;
    if (subject.kind === 'user') {
      const user = await this.deps.store.findUserByName(subject.name);
      return user && !user.disabled ? { kind: 'user', id: user.id, name: user.name } : undefined;
    }
    const robot = await this.deps.store.findRobotByName(subject.name);
    return robot && { kind: 'robot', id: robot.id, name: robot.name, ownerId: robot.ownerId };
  }

  private async credsFor(caller: Caller, namespace: string): Promise<Record<string, unknown>> {
    if (caller.kind === 'anonymous') return { roles: ['anonymous'], user_id: '', is_robot: false };
    const roles = await this.deps.store.rolesFor({ kind: caller.kind, id: caller.id }, namespace);
    return { roles, user_id: caller.id, is_robot: caller.kind === 'robot' };
  }
}
