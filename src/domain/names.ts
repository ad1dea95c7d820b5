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

/** The namespace of a repository: its first path component (`team/app` -> `team`). */
export function namespaceOf(repository: string): string {
  const slash = repository.indexOf('/');
  return slash === -1 ? repository : repository.slice(0, slash);
}
