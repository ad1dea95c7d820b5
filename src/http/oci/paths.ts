// Routing of /v2/ paths by hand: repository names contain slashes, so a path like
// `a/b/blobs/uploads/` can only be split by matching the tail. Names are then checked with
// the spec's regular expression.
import { RegistryError } from '../../domain/errors.js';
import { isRepositoryName } from '../../domain/names.js';

export type OciEndpoint =
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string };

type Kind = OciEndpoint['kind'];

// Order matters: `blobs/uploads/` must be tried before `blobs/<digest>`.
const patterns: [Kind, RegExp][] = [
  ['tags', /^(.+)\/tags\/list$/],
  ['manifest', /^(.+)\/manifests\/([^/]+)$/],
  ['uploads', /^(.+)\/blobs\/uploads\/?$/],
  ['upload', /^(.+)\/blobs\/uploads\/([^/]+)$/],
  ['blob', /^(.+)\/blobs\/([^/]+)$/],
  ['referrers', /^(.+)\/referrers\/([^/]+)$/],
];

/** Parses the part of the path after `/v2/`; undefined when it names no endpoint. */
export function parseOciPath(path: string): OciEndpoint | undefined {
  if (path === '_catalog') return { kind: 'catalog' };
  for (const [kind, pattern] of patterns) {
    const match = pattern.exec(path);
    if (!match) continue;
    const name = match[1]!;
    if (!isRepositoryName(name)) {
      throw new RegistryError('NAME_INVALID', `invalid repository name: ${name}`, { detail: { name } });
    }
    const last = match[2] ?? '';
    switch (kind) {
      case 'tags':
      case 'uploads':
        return { kind, name };
      case 'manifest':
        return { kind, name, reference: last };
      case 'upload':
        return { kind, name, id: last };
      case 'blob':
      case 'referrers':
        return { kind, name, digest: last };
      default:
        return undefined;
    }
  }
  return undefined;
}
