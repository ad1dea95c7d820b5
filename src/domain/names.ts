// Repository names and tags, with the distribution-spec's own regular expressions.

const repositoryName = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const tagName = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Registries commonly cap the whole name (host + path) at 255 characters. */
export const maxRepositoryNameLength = 255;

export function isRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= maxRepositoryNameLength && repositoryName.test(name);
}

export function isTag(tag: string): boolean {
  return tagName.test(tag);
}

/**
 * Namespaces longer than one path component (`registry.namespaces`, e.g. `org/team`), longest
 * first. Process-wide: every place that asks for a repository's namespace (policy, gates,
 * scanner requirements) must get the same answer, and the config is one per process.
 */
let namespacePrefixes: readonly string[] = [];

/** Sets the configured namespace prefixes (compose.ts, at start). */
export function setNamespacePrefixes(prefixes: readonly string[]): void {
  namespacePrefixes = [...new Set(prefixes)].sort((a, b) => b.length - a.length);
}

/**
 * The namespace of a repository: the longest configured prefix it lies under
 * (`org/team/app` -> `org/team` with `org/team` configured), else its first path component
 * (`team/app` -> `team`).
 */
export function namespaceOf(repository: string): string {
  for (const prefix of namespacePrefixes) {
    if (repository.length > prefix.length && repository.startsWith(prefix) && repository[prefix.length] === '/') return prefix;
  }
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(0, slash);
}
