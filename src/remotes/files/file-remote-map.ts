// Which file repositories are file remotes: a remote named `dl` maps `/files/dl/-/<path>` to
// `<url>/<path>` (with a manifest, to `<the manifest's directory>/<path>`). Each remote has its
// upstream client, built and closed by the RemoteCatalog, which replace()s the whole set when
// remotes are made, changed or deleted through the admin API. A repository nested under a
// remote's name (`dl/x`) is in its namespace too, so nothing can be pushed there, but it
// mirrors nothing: NAME_UNKNOWN.
import type { FileRemoteConfig } from '../../config/remote-schema.js';
import { RegistryError } from '../../domain/errors.js';
import type { UpstreamTls } from '../upstream-tls.js';
import { FileUpstream } from './file-upstream.js';

export interface FileRemote {
  config: FileRemoteConfig;
  upstream: FileUpstream;
  /** Where the files are upstream, relative to the URL: the manifest's directory (`''` or `dir/`). */
  filesDir: string;
}

export class FileRemoteMap {
  private byName = new Map<string, FileRemote>();

  constructor(remotes: readonly FileRemote[] = []) {
    this.replace(remotes);
  }

  /** From now on, these remotes (and no others). */
  replace(remotes: readonly FileRemote[]): void {
    this.byName = new Map(remotes.map((remote) => [remote.config.name, remote]));
  }

  get remotes(): FileRemote[] {
    return [...this.byName.values()];
  }

  get(name: string): FileRemote | undefined {
    return this.byName.get(name);
  }

  /** True when the repository is a remote's or lies under one's name. */
  covers(repository: string): boolean {
    const slash = repository.indexOf('/');
    return this.byName.has(slash < 0 ? repository : repository.slice(0, slash));
  }

  /** The remote a repository mirrors; NAME_UNKNOWN for one only under a remote's name, or no remote's any more. */
  route(repository: string): FileRemote {
    const remote = this.byName.get(repository);
    if (remote) return remote;
    const slash = repository.indexOf('/');
    const name = slash < 0 ? repository : repository.slice(0, slash);
    const why = this.byName.has(name) ? `lies under file remote ${name}, which mirrors its files as /files/${name}/-/<path>` : `is no longer a file remote`;
    throw new RegistryError('NAME_UNKNOWN', `${repository} ${why}`, { detail: { name: repository, remote: name } });
  }
}

/** A file remote with its upstream client (credentials and TLS as read by the catalog). */
export function fileRemoteOf(config: FileRemoteConfig, password?: string, tls?: UpstreamTls): FileRemote {
  const upstream = new FileUpstream({
    name: config.name,
    url: config.url,
    ...(tls ? { tls } : {}),
    ...(config.username !== undefined ? { credentials: { username: config.username, password: password ?? '' } } : {}),
  });
  const slash = config.manifest?.lastIndexOf('/') ?? -1;
  return { config, upstream, filesDir: slash < 0 ? '' : config.manifest!.slice(0, slash + 1) };
}
