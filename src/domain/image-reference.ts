// Image references as pods write them (`nginx`, `registry.example.com:5000/lib/app:v1`,
// `ghcr.io/org/tool@sha256:…`), parsed with the grammar of distribution's `reference`
// package and normalised as the container runtimes do: no domain means Docker Hub
// (`docker.io`), a one-component Docker Hub path is under `library/`, and a reference with
// neither tag nor digest names the tag `latest`.
import { isRepositoryName, isTag, maxRepositoryNameLength } from './names.js';

export interface ImageReference {
  /** The registry host, lower case, with its port if written: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** The repository path in that registry: `library/nginx`, `lib/app`. */
  path: string;
  /** The tag written, or `latest` when neither tag nor digest was. Undefined: by digest alone. */
  tag: string | undefined;
  /** The digest written (it wins over the tag: runtimes pull by it). */
  digest: string | undefined;
}

export type ParsedImageReference = { ok: true; reference: ImageReference } | { ok: false; problem: string };

export const dockerHubDomain = 'docker.io';
const dockerHubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

// The reference package's domain: DNS labels (upper case allowed), or an IPv6 literal in
// brackets, and an optional port.
const domainPattern = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;
// Any registered-looking digest: the algorithms a registry supports are its own business.
const digestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * The first path component is a domain when it looks like one (a dot, a port, `localhost`,
 * or upper case, which no repository path may have); otherwise the reference is Docker Hub's.
 */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isDomain = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  if (!isDomain) return { domain: dockerHubDomain, path: name };
  return { domain: first, path: name.slice(slash + 1) };
}

export function parseImageReference(text: string): ParsedImageReference {
  const problem = (why: string): ParsedImageReference => ({ ok: false, problem: `invalid image reference "${text}": ${why}` });
  if (text.length === 0 || text.trim() !== text) return problem('empty, or surrounded by spaces');
  const at = text.indexOf('@');
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const named = at === -1 ? text : text.slice(0, at);
  if (digest !== undefined && !digestPattern.test(digest)) return problem(`"${digest}" is not a digest`);

  const { domain: writtenDomain, path: pathAndTag } = splitDomain(named);
  // With the domain split off, a colon can only introduce the tag.
  const colon = pathAndTag.lastIndexOf(':');
  const tag = colon === -1 ? undefined : pathAndTag.slice(colon + 1);
  let path = colon === -1 ? pathAndTag : pathAndTag.slice(0, colon);
  if (!domainPattern.test(writtenDomain)) return problem(`"${writtenDomain}" is not a registry host`);
  if (tag !== undefined && !isTag(tag)) return problem(`"${tag}" is not a tag`);
  if (named.length > maxRepositoryNameLength) return problem(`the name is longer than ${maxRepositoryNameLength} characters`);
  if (!isRepositoryName(path)) return problem(`"${path}" is not a repository path (lower-case components separated by /)`);

  const lower = writtenDomain.toLowerCase();
  const domain = dockerHubAliases.has(lower) ? dockerHubDomain : lower;
  if (domain === dockerHubDomain && !path.includes('/')) path = `library/${path}`;
  return { ok: true, reference: { domain, path, tag: tag ?? (digest === undefined ? 'latest' : undefined), digest } };
}

/** The reference in full, normalised: `docker.io/library/nginx:latest`, `host/path@sha256:…`. */
export function formatImageReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${reference.domain}/${reference.path}${tag}${digest}`;
}
