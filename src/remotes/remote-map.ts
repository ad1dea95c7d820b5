// Which local repositories are mirrors of which remote: a remote named `hub` maps
// `/v2/hub/<path>` to the upstream repository `<path>`. Pure; the services ask it on a miss.
import type { RemoteConfig } from '../config/remote-schema.js';
import { RegistryError } from '../domain/errors.js';

export interface RemoteRoute {
  remote: RemoteConfig;
  /** The repository's name upstream (the local name without `NAME/`). */
  upstreamRepository: string;
}

export class RemoteMap {
  private readonly byName: Map<string, { remote: RemoteConfig; allowed: RegExp[] | undefined }>;

  constructor(remotes: readonly RemoteConfig[]) {
    this.byName = new Map(remotes.map((remote) => [remote.name, { remote, allowed: remote.repositories?.map(globToRegExp) }]));
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
    const upstreamRepository = repository.slice(entry.remote.name.length + 1);
    if (entry.allowed && !entry.allowed.some((pattern) => pattern.test(upstreamRepository))) {
      throw new RegistryError('NAME_UNKNOWN', `remote ${entry.remote.name} does not mirror ${upstreamRepository} (see remotes[].repositories)`, {
        detail: { name: repository, remote: entry.remote.name },
      });
    }
    return { remote: entry.remote, upstreamRepository };
  }

  private entryFor(repository: string) {
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
