// Which file repositories are file remotes: a remote named `dl` maps `/files/dl/-/<path>` to
// `<url>/<path>` (with a manifest, to `<the manifest's directory>/<path>`). Each remote has its
// upstream client. A repository nested under a remote's name (`dl/x`) is in its namespace too,
// so nothing can be pushed there, but it mirrors nothing: NAME_UNKNOWN.
import type { FileRemoteConfig } from '../../config/remote-schema.js';
import { RegistryError } from '../../domain/errors.js';
import { FileUpstream } from './file-upstream.js';

export interface FileRemote {
  config: FileRemoteConfig;
  upstream: FileUpstream;
  /** Where the files are upstream, relative to the URL: the manifest's directory (`''` or `dir/`). */
  filesDir: string;
}

export class FileRemoteMap {
  private readonly byName: Map<string, FileRemote>;

  constructor(remotes: readonly { config: FileRemoteConfig; password?: string }[]) {
    this.byName = new Map(remotes.map(({ config, password }) => [config.name, remoteOf(config, password)]));
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

  /** The remote a repository mirrors; NAME_UNKNOWN for one only under a remote's name. */
  route(repository: string): FileRemote {
    const remote = this.byName.get(repository);
    if (remote) return remote;
    const name = repository.slice(0, repository.indexOf('/'));
    throw new RegistryError('NAME_UNKNOWN', `${repository} lies under file remote ${name}, which mirrors its files as /files/${name}/-/<path>`, {
      detail: { name: repository, remote: name },
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.remotes.map((remote) => remote.upstream.close()));
  }
}

function remoteOf(config: FileRemoteConfig, password: string | undefined): FileRemote {
  const upstream = new FileUpstream({
    name: config.name,
    url: config.url,
    tlsVerify: config.tlsVerify,
    ...(config.username !== undefined ? { credentials: { username: config.username, password: password ?? '' } } : {}),
  });
  const slash = config.manifest?.lastIndexOf('/') ?? -1;
  return { config, upstream, filesDir: slash < 0 ? '' : config.manifest!.slice(0, slash + 1) };
}
