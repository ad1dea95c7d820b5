// What each /v2 request needs, by endpoint kind and method: the one table the auth hook
// reads and route-table.test.ts walks. Actions are the token spec's (`pull`, `push`,
// `delete`) and name the policy rules that decide them; `_catalog` needs the `admin` rule
// on `registry:catalog:*`; `GET /v2/` and anything this table does not name (a path that is
// no endpoint, a method an endpoint lacks) needs only a valid identity, so an
// unauthenticated caller learns nothing from a 404 or 405.
import type { OciEndpoint } from '../oci/paths.js';

export type RepositoryAction = 'pull' | 'push' | 'delete';

export type AccessNeed =
  /** Any authenticated caller (the API root, unknown paths and methods). */
  | { type: 'authenticated' }
  /** `actions` on `name`; a cross-repository mount also needs pull on `from`. */
  | { type: 'repository'; name: string; actions: RepositoryAction[]; from?: string }
  /** The catalog: `registry:catalog:*` in a token, the `admin` rule for the policy. */
  | { type: 'catalog' };

export const catalogRule = 'admin';

type Kind = OciEndpoint['kind'];

/** The methods each endpoint answers, and the action each needs. */
export const routeActions: { readonly [K in Kind]: Readonly<Record<string, RepositoryAction | 'catalog'>> } = {
  catalog: { GET: 'catalog', HEAD: 'catalog' },
  tags: { GET: 'pull', HEAD: 'pull' },
  manifest: { GET: 'pull', HEAD: 'pull', PUT: 'push', DELETE: 'delete' },
  uploads: { POST: 'push' },
  upload: { GET: 'push', PATCH: 'push', PUT: 'push', DELETE: 'push' },
  blob: { GET: 'pull', HEAD: 'pull', DELETE: 'delete' },
  referrers: { GET: 'pull', HEAD: 'pull' },
};

/** The methods the /v2 wildcard route accepts (what the route-table test walks). */
export const ociMethods = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;

/**
 * What a request needs. `query` matters only for a cross-repository mount
 * (`POST …/blobs/uploads/?mount=DIGEST&from=REPO`).
 */
export function accessNeeded(endpoint: OciEndpoint | undefined, method: string, query: Record<string, unknown> = {}): AccessNeed {
  if (endpoint === undefined) return { type: 'authenticated' };
  const action = (routeActions[endpoint.kind] as Record<string, RepositoryAction | 'catalog'>)[method];
  if (action === undefined) return { type: 'authenticated' };
  if (action === 'catalog' || endpoint.kind === 'catalog') return { type: 'catalog' };
  const from = firstQueryValue(query, 'from');
  if (endpoint.kind === 'uploads' && firstQueryValue(query, 'mount') !== undefined && from !== undefined && from !== endpoint.name) {
    return { type: 'repository', name: endpoint.name, actions: ['pull', 'push'], from };
  }
  // A client that pushes asks for pull too (it checks what exists first): the challenge
  // names both so that one token serves the whole push, as distribution does.
  const actions: RepositoryAction[] = action === 'push' ? ['pull', 'push'] : [action];
  return { type: 'repository', name: endpoint.name, actions };
}

/** A query parameter as the handlers read it (request-helpers.ts queryValue): the first of repeats. */
export function firstQueryValue(query: Record<string, unknown>, key: string): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : String(first);
}
