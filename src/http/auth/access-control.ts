// The one decision point for the /v2 API and /token: who the caller is (an identity, a
// registry token, or nobody) and whether the policy lets them do an action. The policy
// sees `creds = { roles, user_id, is_robot }` (roles in the repository's namespace plus
// global ones) and `target = buildTarget({ namespace, repository })`.
import type { FastifyRequest } from 'fastify';
import { AuthenticationError, unauthorizedError, type Authentication, type Authenticator, type Principal } from '../../auth/authenticate.js';
import type { RegistryTokenService } from '../../auth/token-service.js';
import { namespaceOf } from '../../domain/names.js';
import { allNamespaces, type IdentityStore } from '../../ports/identity-store.js';
import type { DecisionAudit } from '../../observability/decision-audit.js';
import { noProtections, type PropertyOperation, type PropertyProtections } from '../../policy/property-protections.js';
import { buildTarget, type ArtifactFacts, type Decision, type PolicyEngine } from '../../policy/index.js';
import { catalogRule, type RepositoryAction } from './actions.js';

export interface AuthDeps {
  authenticator: Authenticator;
  /** Issues /token's tokens; serves the JWKS and the admin API's key rotation. */
  tokens: Pick<RegistryTokenService, 'issue' | 'publicJwks' | 'rotate' | 'pruneRetiredKeys' | 'retiredKeyGraceMs'>;
  policy: PolicyEngine;
  store: Pick<IdentityStore, 'rolesFor' | 'findUserByName' | 'findRobotByName'>;
  /** The token audience and the challenge's `service`. */
  service: string;
  /** The token endpoint for challenges; default `http(s)://HOST/token` from the request. */
  realm?: string;
  tokenTtlSeconds: number;
  /** Callers without credentials may pull where the policy allows `role:anonymous` to. */
  anonymousPull: boolean;
  /** Where decisions are recorded (auth.audit); default none. */
  audit?: DecisionAudit;
  /** Property protections (Glance's format); default none. */
  protections?: PropertyProtections;
}

export interface ArtifactJudge {
  /** The policy rule `action` over the artifact. */
  rule(action: string): Decision;
  /** The property protections on `operation` of property `name`. */
  property(operation: PropertyOperation, name: string): Decision;
}

/** Target keys every repository-level decision has; a rule reading any other needs the artifact. */
const repositoryKeys = new Set(['namespace', 'repository']);

/** How a caller is named in audit lines and reasons. */
export function callerLabel(caller: Caller): string {
  return caller.kind === 'anonymous' ? 'anonymous' : `${caller.kind}:${caller.name}`;
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

/** What rules see as `creds`: the caller's roles in `namespace` (and on `*`), id, and whether it is a robot. */
export async function credsOf(store: Pick<IdentityStore, 'rolesFor'>, caller: Caller, namespace: string): Promise<Record<string, unknown>> {
  if (caller.kind === 'anonymous') return { roles: ['anonymous'], user_id: '', is_robot: false };
  const roles = await store.rolesFor({ kind: caller.kind, id: caller.id }, namespace);
  return { roles, user_id: caller.id, is_robot: caller.kind === 'robot' };
}

export class AccessControl {
  constructor(readonly deps: AuthDeps) {}

  realmFor(request: FastifyRequest): string {
    return this.deps.realm ?? `${request.protocol}://${request.host}/token`;
  }

  /**
   * Whether the rule for `action` reads anything of the artifact (tag, digest, properties,
   * scan state, vulnerabilities). Such a rule is decided where the artifact is resolved
   * (src/http/auth/artifact-guard.ts); the repository-level check cannot decide it.
   */
  dependsOnArtifact(action: string): boolean {
    for (const key of this.deps.policy.targetKeys(action)) if (!repositoryKeys.has(key)) return true;
    return false;
  }

  /** The policy's decision on `action` for one artifact, with everything known about it. */
  async decideArtifact(caller: Caller, action: string, facts: ArtifactFacts): Promise<Decision> {
    return this.deps.policy.decideRule(action, buildTarget(facts), await this.credsFor(caller, facts.namespace));
  }

  /**
   * Decisions on one artifact for one caller, with the caller's roles looked up once: the
   * policy's rules and the property protections (the properties API asks many at a time).
   */
  async artifactJudge(caller: Caller, facts: ArtifactFacts): Promise<ArtifactJudge> {
    const creds = await this.credsFor(caller, facts.namespace);
    const target = buildTarget(facts);
    const protections = this.deps.protections ?? noProtections;
    const roles = creds['roles'] as string[];
    return {
      rule: (action) => this.deps.policy.decideRule(action, target, creds),
      property: (operation, name) => protections.check(name, operation, { roles, target, creds }),
    };
  }

  /** Records a decision in the audit log (when one is configured). */
  audit(caller: Caller, action: string, resource: string, decision: Decision, requestId?: string): void {
    this.deps.audit?.record({ caller: callerLabel(caller), action, resource, allowed: decision.allowed, reason: decision.reason, ...(requestId ? { requestId } : {}) });
  }

  /** The policy's decision on `action` (a rule name) for `repository`. */
  async decideRepository(caller: Caller, action: string, repository: string): Promise<Decision> {
    return (await this.repositoryJudge(caller, repository))(action);
  }

  /** Decisions on one repository for one caller, with the caller's roles looked up once (a push asks pull and push). */
  async repositoryJudge(caller: Caller, repository: string): Promise<(action: string) => Decision> {
    const namespace = namespaceOf(repository);
    const target = buildTarget({ namespace, repository });
    const creds = await this.credsFor(caller, namespace);
    return (action) => this.deps.policy.decideRule(action, target, creds);
  }

  /** The catalog (and other registry-wide actions) are decided over global roles only. */
  async decideCatalog(caller: Caller): Promise<Decision> {
    return this.decideGlobal(caller, catalogRule);
  }

  /** A registry-wide rule (the catalog's, the admin API's `admin`) over global roles only. */
  async decideGlobal(caller: Caller, rule: string): Promise<Decision> {
    return this.deps.policy.decideRule(rule, {}, await this.credsFor(caller, allNamespaces));
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
    // A rule that reads the artifact is granted here when it might allow some artifact: the
    // registry decides it again, per artifact, when the request names one.
    return asked.filter((action) => this.deps.policy.decideRule(action, target, creds).allowed || this.dependsOnArtifact(action));
  }

  /**
   * The caller of an API outside /v2 (properties, admin): Basic credentials (a password or a
   * robot token) or a registry token, whose subject is looked up now and whose `access`
   * claim is ignored: these APIs are authorized by the policy alone. No header: anonymous.
   * A bad credential, or a token whose subject is gone, is a 401 that says what to send.
   */
  async callerOfHeader(header: string | undefined, realm: string): Promise<Caller> {
    const challenge = `Basic realm="${realm}", Bearer realm="${realm}"`;
    let authentication: Authentication | undefined;
    try {
      authentication = await this.deps.authenticator.authenticate(header);
    } catch (error) {
      if (error instanceof AuthenticationError) throw unauthorizedError(error, challenge);
      throw error;
    }
    if (authentication === undefined) return anonymous;
    if (authentication.scheme === 'basic') return authentication.principal;
    const caller = await this.callerOfSubject(authentication.subject);
    if (caller === undefined) throw unauthorizedError(new AuthenticationError('disabled', 'the token\'s account is gone or disabled'), challenge);
    return caller;
  }

  /** Releases the audit log. */
  async close(): Promise<void> {
    await this.deps.audit?.close();
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

  private credsFor(caller: Caller, namespace: string): Promise<Record<string, unknown>> {
    return credsOf(this.deps.store, caller, namespace);
  }
}
