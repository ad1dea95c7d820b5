// The /v2 onRequest hook: runs before dispatch, so nothing is read or written for a caller
// who may not. Bearer tokens open exactly what their `access` claim holds; Basic
// credentials are checked against the policy on every request; nobody gets a 401 with the
// challenge naming the scope the request needs (clients then fetch a token from /token).
//
// A token that lacks an action: if the policy would grant it to the token's subject, 401
// `insufficient_scope` (the client fetches a broader token); if not, 403 DENIED naming the
// action and the rule that denied it.
//
// A rule that reads the artifact (its properties, tag, scan state: AccessControl
// .dependsOnArtifact) cannot be decided here for a manifest GET/HEAD/DELETE or a blob
// GET/DELETE: it is
// left to the handler, which decides it with the artifact in hand (artifact-guard.ts). On
// every other endpoint (tags, referrers, uploads) such a rule is decided here over what is
// known, the repository: oslo's semantics make a check on a missing key false.
import type { FastifyRequest } from 'fastify';
import { AuthenticationError, unauthorizedError, type Authentication } from '../../auth/authenticate.js';
import { accessAllows, formatBearerChallenge, type ResourceScope } from '../../auth/scope.js';
import { RegistryError } from '../../domain/errors.js';
import { parseOciPath, type OciEndpoint } from '../oci/paths.js';
import { anonymous, type AccessControl, type Caller } from './access-control.js';
import type { Decision } from '../../policy/index.js';
import { accessNeeded, firstQueryValue, type AccessNeed } from './actions.js';
import { setRequestCaller, setRequestTokenSubject } from './request-caller.js';
import { VerifiedTokens } from './verified-tokens.js';
import type { Events } from '../../ports/event-sink.js';
import { emitGuardDenial } from './pull-denials.js';

/** One action on one resource that a request needs. */
interface Requirement {
  scope: { type: string; name: string };
  action: string;
}

/** `events`: a pull refused here is a pull.denied event. */
export function v2Guard(access: AccessControl, events?: Events): (request: FastifyRequest) => Promise<void> {
  const guard = guardRequests(access);
  return async (request) => {
    try {
      await guard(request);
    } catch (error) {
      await emitGuardDenial(events, request, error);
      throw error;
    }
  };
}

function guardRequests(access: AccessControl): (request: FastifyRequest) => Promise<void> {
  const verified = new VerifiedTokens();
  return async (request) => {
    const endpoint = endpointOf(request);
    const query = request.query as Record<string, unknown>;
    // A mount without `from` would link the digest from whichever repository holds it,
    // one the caller may not read: with auth on it becomes an ordinary upload, as in
    // distribution (the spec lets a registry decline a mount this way).
    if (endpoint?.kind === 'uploads' && firstQueryValue(query, 'from') === undefined) delete query['mount'];
    const need = accessNeeded(endpoint, request.method, query);
    let authentication: Authentication | undefined;
    try {
      authentication = await authenticate(access, verified, request.headers.authorization);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      throw unauthorizedError(error, challenge(access, request, need, 'invalid_token'));
    }
    const deferred = deferredToHandler(access, endpoint, request.method);
    if (authentication === undefined) {
      setRequestCaller(request, async () => anonymous);
      return anonymousAccess(access, request, need, deferred);
    }
    if (authentication.scheme === 'basic') {
      const principal = authentication.principal;
      setRequestCaller(request, async () => principal);
      return checkPolicy(access, request, principal, requirementsOf(need).filter((r) => !deferred(r)));
    }
    setRequestCaller(request, () => access.callerOfSubject(authentication.subject));
    setRequestTokenSubject(request, authentication.subject);
    return checkToken(access, request, need, authentication, deferred);
  };
}

/** Which requirements the handler decides, with the artifact resolved. */
function deferredToHandler(access: AccessControl, endpoint: OciEndpoint | undefined, method: string): (requirement: Requirement) => boolean {
  // A blob HEAD sends no content and push clients send it for layers they may share with an
  // artifact they cannot pull: it stays a repository-level question.
  const methods = endpoint?.kind === 'manifest' ? ['GET', 'HEAD', 'DELETE'] : ['GET', 'DELETE'];
  const artifactRequest = (endpoint?.kind === 'manifest' || endpoint?.kind === 'blob') && methods.includes(method);
  if (!artifactRequest) return () => false;
  return (r) => r.scope.type === 'repository' && r.scope.name === endpoint.name && access.dependsOnArtifact(r.action);
}

async function authenticate(access: AccessControl, verified: VerifiedTokens, header: string | undefined): Promise<Authentication | undefined> {
  if (header === undefined) return undefined;
  const known = verified.get(header);
  if (known) return known;
  const authentication = await access.deps.authenticator.authenticate(header);
  verified.remember(header, authentication);
  return authentication;
}

function endpointOf(request: FastifyRequest): OciEndpoint | undefined {
  // The decoded path the dispatcher routes on, never the raw URL: `b%2Fy` must be
  // authorized as the `b/y` it is served as.
  const path = (request.params as { '*'?: string })['*'] ?? '';
  if (path === '') return undefined;
  try {
    return parseOciPath(path);
  } catch {
    return undefined; // a bad name: the handler says so, once the caller is known
  }
}

function requirementsOf(need: AccessNeed): Requirement[] {
  if (need.type === 'authenticated') return [];
  if (need.type === 'catalog') return [{ scope: { type: 'registry', name: 'catalog' }, action: '*' }];
  const own = need.actions.map((action) => ({ scope: { type: 'repository', name: need.name }, action }));
  return need.from === undefined ? own : [...own, { scope: { type: 'repository', name: need.from }, action: 'pull' }];
}

async function anonymousAccess(access: AccessControl, request: FastifyRequest, need: AccessNeed, deferred: (r: Requirement) => boolean): Promise<void> {
  const requirements = requirementsOf(need);
  const pullOnly = need.type === 'repository' && requirements.every((r) => r.action === 'pull');
  if (access.deps.anonymousPull && pullOnly && (await firstDenial(access, anonymous, requirements.filter((r) => !deferred(r)), request)) === undefined) return;
  throw unauthorizedError(undefined, challenge(access, request, need));
}

async function checkPolicy(access: AccessControl, request: FastifyRequest, caller: Caller, requirements: Requirement[]): Promise<void> {
  const denial = await firstDenial(access, caller, requirements, request);
  if (denial) throw denied(denial.requirement, denial.reason);
}

async function checkToken(
  access: AccessControl,
  request: FastifyRequest,
  need: AccessNeed,
  authentication: Extract<Authentication, { scheme: 'bearer' }>,
  deferred: (r: Requirement) => boolean,
): Promise<void> {
  const requirements = requirementsOf(need);
  const missing = requirements.filter((r) => !accessAllows(authentication.access, r.scope.type, r.scope.name, r.action));
  // The token may carry an action whose rule reads the artifact (AccessControl.authorize
  // grants those): where no artifact is in hand, it is decided now, over the repository.
  const undecided = requirements.filter((r) => !missing.includes(r) && !deferred(r) && r.scope.type === 'repository' && access.dependsOnArtifact(r.action));
  if (missing.length === 0 && undecided.length === 0) return;
  const caller = await access.callerOfSubject(authentication.subject);
  if (caller === undefined) throw unauthorizedError(undefined, challenge(access, request, need, 'invalid_token'));
  const denial = await firstDenial(access, caller, [...undecided, ...missing], request);
  if (denial) throw denied(denial.requirement, denial.reason);
  if (missing.length === 0) return;
  throw new RegistryError('UNAUTHORIZED', 'the token does not grant this action; ask /token for a token with the scope in the challenge', {
    headers: { 'WWW-Authenticate': challenge(access, request, need, 'insufficient_scope') },
  });
}

async function firstDenial(access: AccessControl, caller: Caller, requirements: Requirement[], request: FastifyRequest): Promise<{ requirement: Requirement; reason: string } | undefined> {
  // The caller's roles are looked up once per repository, not once per action.
  const judges = new Map<string, (action: string) => Decision>();
  for (const requirement of requirements) {
    const { type, name } = requirement.scope;
    if (caller.kind === 'anonymous' && requirement.action !== 'pull') return { requirement, reason: 'anonymous callers may only pull' };
    let decision: Decision;
    if (type === 'repository') {
      let judge = judges.get(name);
      if (!judge) judges.set(name, (judge = await access.repositoryJudge(caller, name)));
      decision = judge(requirement.action);
    } else {
      decision = await access.decideCatalog(caller);
    }
    access.audit(caller, requirement.action, `${type}:${name}`, decision, request.id);
    if (!decision.allowed) return { requirement, reason: decision.reason };
  }
  return undefined;
}

function denied(requirement: Requirement, reason: string): RegistryError {
  const { type, name } = requirement.scope;
  const what = type === 'repository' ? `${requirement.action} on repository ${name}` : `the ${name}`;
  return new RegistryError('DENIED', `${what} is denied: ${reason}`, { detail: { action: requirement.action, resource: `${type}:${name}`, reason } });
}

function challenge(access: AccessControl, request: FastifyRequest, need: AccessNeed, error?: 'invalid_token' | 'insufficient_scope'): string {
  return formatBearerChallenge({
    realm: access.realmFor(request),
    service: access.deps.service,
    scopes: challengeScopes(need),
    ...(error ? { error } : {}),
  });
}

function challengeScopes(need: AccessNeed): ResourceScope[] {
  if (need.type === 'authenticated') return [];
  if (need.type === 'catalog') return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
  const own: ResourceScope = { type: 'repository', name: need.name, actions: [...need.actions] };
  return need.from === undefined ? [own] : [own, { type: 'repository', name: need.from, actions: ['pull'] }];
}
