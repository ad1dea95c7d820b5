// Which local repositories are mirrors of which remote: a remote named `hub` maps
// `/v2/hub/<path>` to the upstream repository `<path>` (on Docker Hub a one-component
// `<path>` is `library/<path>`), within the remote's repository and tag globs. Pure; the
// services ask it on a miss. Remotes made through the admin API come and go while the server
// runs: replace() swaps the whole set at once, and everyone holding the map sees the new one.
import { usesLibraryPrefix, type RemoteConfig } from '../config/remote-schema.js';
import { RegistryError } from '../domain/errors.js';

export interface RemoteRoute {
  remote: RemoteConfig;
  /** The repository's name upstream (the local name without `NAME/`, Docker Hub's `library/` added). */
  upstreamRepository: string;
}

interface MapEntry {
  remote: RemoteConfig;
  repositories: RegExp[] | undefined;
  tags: RegExp[] | undefined;
  libraryPrefix: boolean;
}

export class RemoteMap {
  private byName = new Map<string, MapEntry>();

  constructor(remotes: readonly RemoteConfig[]) {
    this.replace(remotes);
  }

  /** From now on, these remotes (and no others). */
  replace(remotes: readonly RemoteConfig[]): void {
    this.byName = new Map(
      remotes.map((remote) => [
        remote.name,
        {
          remote,
          repositories: remote.repositories?.map(globToRegExp),
          tags: remote.tags?.map(globToRegExp),
          libraryPrefix: usesLibraryPrefix(remote),
        },
      ]),
    );
  }

  get remotes(): RemoteConfig[] {
    return [...this.byName.values()].map((entry) => entry.remote);
  }

  /** True when the repository lies under a remote's namespace (mirrored or refused). */
  covers(repository: string): boolean {
    return this.entryFor(repository) !== undefined;
  }

  /**
   * The route of a repository under a remote's namespace; undefined when it is not under
   * one. Throws NAME_UNKNOWN when the remote does not mirror that upstream repository.
   */
  route(repository: string): RemoteRoute | undefined {
    const entry = this.entryFor(repository);
    if (!entry) return undefined;
    const path = repository.slice(entry.remote.name.length + 1);
    const upstreamRepository = entry.libraryPrefix && !path.includes('/') ? `library/${path}` : path;
    if (entry.repositories && !entry.repositories.some((pattern) => pattern.test(upstreamRepository))) {
      throw new RegistryError('NAME_UNKNOWN', `remote ${entry.remote.name} does not mirror ${upstreamRepository} (see remotes[].repositories)`, {
        detail: { name: repository, remote: entry.remote.name },
      });
    }
    return { remote: entry.remote, upstreamRepository };
  }

  /** Whether the route's remote mirrors the tag (its `tags` globs; none: every tag). */
  mirrorsTag(route: RemoteRoute, tag: string): boolean {
    const patterns = this.byName.get(route.remote.name)?.tags;
    return patterns === undefined || patterns.some((pattern) => pattern.test(tag));
  }

  /** Throws MANIFEST_UNKNOWN (404) for a tag outside the remote's `tags`. */
  checkTag(route: RemoteRoute, tag: string): void {
    if (this.mirrorsTag(route, tag)) return;
    throw new RegistryError('MANIFEST_UNKNOWN', `remote ${route.remote.name} does not mirror tag ${tag} of ${route.upstreamRepository} (see remotes[].tags)`, {
      detail: { tag, remote: route.remote.name },
    });
  }

  private entryFor(repository: string): MapEntry | undefined {
    const slash = repository.indexOf('/');
    return slash > 0 ? this.byName.get(repository.slice(0, slash)) : undefined;
  }
}

/** `*` matches within one path component, `**` across components; the rest literally. */
export function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${source}$`);
}
