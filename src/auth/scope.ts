// The Docker/OCI token flow's scopes and challenges (distribution's "Token Authentication
// Specification" and "Token Scope Documentation"):
//   scope = resourcetype[(class)] ":" resourcename ":" action[,action]*
// e.g. `repository:team/app:pull,push` and `registry:catalog:*`. The resource name is
// everything between the first and the last colon, as distribution parses it (a name
// with a registry host:port in it keeps its colon). Several scopes come as several `scope`
// query parameters or space-separated in one.
import { isRepositoryName } from '../domain/names.js';

export interface ResourceScope {
  /** `repository`, `registry`, ...; a `(class)` suffix is dropped. */
  type: string;
  name: string;
  actions: string[];
}

/** One entry of a token's `access` claim: the same shape. */
export type AccessEntry = ResourceScope;

export class ScopeError extends Error {
  constructor(scope: string, reason: string) {
    super(`invalid scope ${JSON.stringify(scope)}: ${reason}`);
    this.name = 'ScopeError';
  }
}

const resourceType = /^([a-z0-9]+)(?:\([a-z0-9]+\))?$/;
const action = /^(?:[a-z]+|\*)$/;

/** Parses one or more space-separated scopes; throws ScopeError for a malformed one. */
export function parseScopes(...params: readonly string[]): ResourceScope[] {
  return params.flatMap((param) => param.split(' ').filter((part) => part !== '')).map(parseScope);
}

function parseScope(scope: string): ResourceScope {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || first === last) throw new ScopeError(scope, 'expected type:name:actions');
  const type = resourceType.exec(scope.slice(0, first))?.[1];
  if (type === undefined) throw new ScopeError(scope, 'bad resource type');
  const name = scope.slice(first + 1, last);
  if (type === 'repository' && !isRepositoryName(name)) throw new ScopeError(scope, 'bad repository name');
  if (name === '') throw new ScopeError(scope, 'empty resource name');
  const actions = unique(scope.slice(last + 1).split(','));
  if (!actions.every((a) => action.test(a))) throw new ScopeError(scope, 'bad action');
  return { type, name, actions };
}

export function formatScope(scope: ResourceScope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}

export interface BearerChallenge {
  /** The token endpoint's absolute URL. */
  realm: string;
  service: string;
  scopes?: readonly ResourceScope[];
  /** `insufficient_scope` when a token was sent but lacks the action (RFC 6750). */
  error?: 'invalid_token' | 'insufficient_scope';
}

/** `Bearer realm="…",service="…",scope="…"` for a 401's WWW-Authenticate header. */
export function formatBearerChallenge(challenge: BearerChallenge): string {
  const params: [string, string][] = [
    ['realm', challenge.realm],
    ['service', challenge.service],
  ];
  if (challenge.scopes && challenge.scopes.length > 0) params.push(['scope', challenge.scopes.map(formatScope).join(' ')]);
  if (challenge.error) params.push(['error', challenge.error]);
  return `Bearer ${params.map(([key, value]) => `${key}=${quote(value)}`).join(',')}`;
}

/** `Basic realm="…"` for clients that log in without the token flow. */
export function formatBasicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}`;
}

/** An RFC 7230 quoted-string; control characters are refused rather than sent. */
function quote(value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new TypeError('a challenge parameter cannot hold control characters');
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Decides which of the requested actions on one resource the principal gets. The policy
 * engine plugs in here. It may return more than was asked (or `*` for all): only what was
 * requested is granted.
 */
export type Authorize<P> = (principal: P, resource: { type: string; name: string }, requested: readonly string[]) => Promise<readonly string[]> | readonly string[];

/**
 * The `access` claim for a token: for each requested scope, the requested actions that
 * `authorize` grants, in the order asked. A requested `*` is an action of its own (as in
 * `registry:catalog:*`); a granted `*` covers every action. Scopes that get nothing are
 * left out, and scopes on the same resource are merged.
 */
export async function grantAccess<P>(principal: P, requested: readonly ResourceScope[], authorize: Authorize<P>): Promise<AccessEntry[]> {
  const granted = new Map<string, AccessEntry>();
  for (const scope of mergeScopes(requested)) {
    const allowed = new Set(await authorize(principal, { type: scope.type, name: scope.name }, scope.actions));
    const actions = allowed.has('*') ? scope.actions : scope.actions.filter((a) => allowed.has(a));
    if (actions.length > 0) granted.set(`${scope.type}:${scope.name}`, { type: scope.type, name: scope.name, actions });
  }
  return [...granted.values()];
}

/** True when `access` holds `action` (or `*`) on the resource: the check a Bearer request makes. */
export function accessAllows(access: readonly AccessEntry[], type: string, name: string, action: string): boolean {
  return access.some((entry) => entry.type === type && entry.name === name && (entry.actions.includes(action) || entry.actions.includes('*')));
}

function mergeScopes(scopes: readonly ResourceScope[]): ResourceScope[] {
  const merged = new Map<string, ResourceScope>();
  for (const scope of scopes) {
    const key = `${scope.type}:${scope.name}`;
    const previous = merged.get(key);
    merged.set(key, previous ? { ...previous, actions: unique([...previous.actions, ...scope.actions]) } : { ...scope, actions: unique(scope.actions) });
  }
  return [...merged.values()];
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
