// The live set of remotes, OCI and file: the config file's (fixed for the life of the process)
// and those made through the admin API (read from the database), with one upstream client
// each. A reload rebuilds the RemoteMap and FileRemoteMap everyone holds and swaps the clients
// of changed remotes;
// unchanged ones keep theirs (and their cached tokens). Many servers may share one database
// (PostgreSQL): each re-reads the remotes when its copy is older than `reloadIntervalMs`
// (in the background: a request is served from the copy it has), and at once on a miss (a
// repository under no known remote) when older than `missReloadMs`, so a remote made on
// another server works here on its first request.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { anyRemoteSchema, type AnyRemoteConfig } from '../config/remote-schema.js';
import { RegistryError } from '../domain/errors.js';
import type { RemoteStore, StoredRemote } from '../ports/remote-store.js';
import { fileRemoteOf, type FileRemote, type FileRemoteMap } from './files/file-remote-map.js';
import { OciUpstream } from './oci-upstream.js';
import type { RemoteMap } from './remote-map.js';
import { readUpstreamTls } from './upstream-tls.js';

/** Where a remote is defined: the config file (read-only to the API), or the admin API. */
export type RemoteOrigin = 'config' | 'api';

export interface CatalogEntry {
  remote: AnyRemoteConfig;
  source: RemoteOrigin;
  /** Whether the upstream has a password (a passwordFile, or one stored by the API); never the password. */
  passwordSet: boolean;
  /** API remotes: when made and last changed, and by whom. */
  stored?: Pick<StoredRemote, 'createdAt' | 'updatedAt' | 'updatedBy'>;
}

export interface RemoteCatalogOptions {
  configured: readonly AnyRemoteConfig[];
  /** The API's remotes; absent: only the config file's. */
  store?: RemoteStore;
  /** The OCI remotes, rebuilt on every reload. */
  map: RemoteMap;
  /** The file remotes, rebuilt on every reload; absent: file remotes are not mirrored here. */
  fileMap?: FileRemoteMap;
  logger: Logger;
  /** A remote changed or went: forget what was cached about it (when its tags were checked). */
  onChange?: (name: string) => void;
  /** Re-read the database when the copy is older than this (default 10 s). */
  reloadIntervalMs?: number;
  /** On a miss, re-read when the copy is older than this (default 1 s): a throttle, as every local repository misses. */
  missReloadMs?: number;
  /** How long a replaced upstream client stays open for requests that already hold it (default 60 s). */
  retireAfterMs?: number;
  now?: () => number;
}

/** The upstream client of a remote, by its kind. */
export type RemoteClient = { kind: 'oci'; upstream: OciUpstream } | { kind: 'file'; remote: FileRemote };

interface LiveRemote {
  entry: CatalogEntry;
  /** What the client was built from: a change of it builds a new one. */
  fingerprint: string;
  client: RemoteClient;
}

export class RemoteCatalog {
  private live = new Map<string, LiveRemote>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private readonly retiring = new Set<RemoteClient>();

  private constructor(private readonly options: RemoteCatalogOptions) {}

  /** The catalog, loaded. Throws when a config remote's passwordFile cannot be read (the start fails). */
  static async open(options: RemoteCatalogOptions): Promise<RemoteCatalog> {
    const catalog = new RemoteCatalog(options);
    await catalog.reload();
    return catalog;
  }

  /** The upstream client of an OCI remote; NAME_UNKNOWN once the remote is gone. */
  readonly upstreamOf = (name: string): OciUpstream => {
    const client = this.live.get(name)?.client;
    if (client?.kind === 'oci') return client.upstream;
    throw new RegistryError('NAME_UNKNOWN', `remote ${name} no longer exists`, { detail: { remote: name } });
  };

  /** Every remote as of the last read, by name. */
  entries(): CatalogEntry[] {
    return [...this.live.values()].map((live) => live.entry).sort((a, b) => (a.remote.name < b.remote.name ? -1 : 1));
  }

  entry(name: string): CatalogEntry | undefined {
    return this.live.get(name)?.entry;
  }

  /**
   * RemoteMirror's hook, before it reads the map for a repository the map `covered` or not:
   * a miss waits for a fresh read (throttled); a stale copy is refreshed in the background.
   */
  readonly refresh = async (covered: boolean): Promise<void> => {
    if (!this.options.store) return;
    const age = this.now() - this.loadedAt;
    if (!covered && age >= (this.options.missReloadMs ?? 1000)) return this.freshen();
    if (age >= (this.options.reloadIntervalMs ?? 10_000)) void this.freshen();
  };

  /** A read of the database that starts after this call (an admin change is seen once it resolves). */
  reload(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = undefined));
      return this.loading;
    }
    this.queued ??= this.loading
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.reload();
      });
    return this.queued;
  }

  /** Closes every upstream client. */
  async close(): Promise<void> {
    const clients = [...[...this.live.values()].map((live) => live.client), ...this.retiring];
    this.live = new Map();
    this.retiring.clear();
    await Promise.all(clients.map(closeClient));
  }

  /** Joins the read under way, or starts one; a failure is logged and the copy kept. */
  private async freshen(): Promise<void> {
    await (this.loading ?? this.reload()).catch((err: unknown) =>
      this.options.logger.warn({ err }, 'could not re-read the remotes from the database; keeping those known'),
    );
  }

  private async load(): Promise<void> {
    const startedAt = this.now();
    const stored = (await this.options.store?.listRemotes()) ?? [];
    const next = new Map<string, LiveRemote>();
    for (const remote of this.options.configured) {
      next.set(remote.name, await this.liveRemote({ remote, source: 'config', passwordSet: remote.passwordFile !== undefined }, undefined));
    }
    for (const row of stored) {
      const live = await this.storedRemote(row, next);
      if (live) next.set(live.entry.remote.name, live);
    }
    this.swap(next);
    this.loadedAt = startedAt;
  }

  /** An API remote as it will run, or undefined (logged) when it cannot. */
  private async storedRemote(row: StoredRemote, next: Map<string, LiveRemote>): Promise<LiveRemote | undefined> {
    const parsed = anyRemoteSchema.safeParse(row.remote);
    const name = parsed.success ? parsed.data.name : row.remote.name;
    if (!parsed.success) {
      this.warnOnce(`invalid:${name}:${row.updatedAt.getTime()}`, { remote: name, problems: parsed.error.issues.map((i) => i.message) }, 'a remote in the database is not valid; it is not mirrored');
      return undefined;
    }
    if (next.get(name)?.entry.source === 'config') {
      this.warnOnce(`shadowed:${name}`, { remote: name }, 'a remote made through the admin API has the name of one in the config file; the config file wins');
      return undefined;
    }
    const { createdAt, updatedAt, updatedBy } = row;
    const entry: CatalogEntry = { remote: parsed.data, source: 'api', passwordSet: row.password !== undefined || parsed.data.passwordFile !== undefined, stored: { createdAt, updatedAt, updatedBy } };
    try {
      return await this.liveRemote(entry, row.password);
    } catch (err) {
      this.warnOnce(`unusable:${name}:${updatedAt.getTime()}`, { remote: name, err }, 'a remote in the database cannot be used; it is not mirrored');
      return undefined;
    }
  }

  /** The entry with its client: the one it has when nothing it was built from changed. */
  private async liveRemote(entry: CatalogEntry, password: string | undefined): Promise<LiveRemote> {
    const fingerprint = JSON.stringify([entry.remote, password ?? null]);
    const current = this.live.get(entry.remote.name);
    if (current && current.fingerprint === fingerprint) return { ...current, entry };
    return { entry, fingerprint, client: await clientFor(entry.remote, password) };
  }

  /** From now on, `next`: the map rebuilt, replaced clients retired, the change logged. */
  private swap(next: Map<string, LiveRemote>): void {
    for (const [name, old] of this.live) {
      const now = next.get(name);
      if (now?.client === old.client) continue;
      this.retire(old.client);
      this.options.onChange?.(name);
      if (!now) this.options.logger.info({ remote: name }, `no longer mirroring ${old.entry.remote.url} under ${mountOf(old.entry.remote)}`);
    }
    for (const [name, now] of next) {
      if (this.live.get(name)?.client === now.client) continue;
      const { url, policy } = now.entry.remote;
      this.options.logger.info({ remote: name, url, policy, source: now.entry.source }, `mirroring ${url} under ${mountOf(now.entry.remote)}`);
    }
    this.live = next;
    const remotes = [...next.values()];
    this.options.map.replace(remotes.flatMap(({ entry }) => (entry.remote.kind === 'oci' ? [entry.remote] : [])));
    this.options.fileMap?.replace(remotes.flatMap(({ client }) => (client.kind === 'file' ? [client.remote] : [])));
  }

  /** Closes a replaced client once the requests that already hold it are done with it. */
  private retire(client: RemoteClient): void {
    this.retiring.add(client);
    const timer = setTimeout(() => {
      this.retiring.delete(client);
      void closeClient(client);
    }, this.options.retireAfterMs ?? 60_000);
    timer.unref();
  }

  private readonly warned = new Set<string>();

  /** Every server re-reads every few seconds: say each problem once. */
  private warnOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.logger.warn(fields, message);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** The upstream client of a remote; its passwordFile and TLS files are read now (an error names the file). */
export async function clientFor(remote: AnyRemoteConfig, password?: string): Promise<RemoteClient> {
  const secret = password ?? (remote.passwordFile === undefined ? undefined : await readPassword(remote));
  const tls = await readUpstreamTls(remote);
  if (remote.kind === 'file') return { kind: 'file', remote: fileRemoteOf(remote, secret, tls) };
  const upstream = new OciUpstream({
    name: remote.name,
    url: remote.url,
    tls,
    ...(remote.username !== undefined ? { credentials: { username: remote.username, password: secret ?? '' } } : {}),
  });
  return { kind: 'oci', upstream };
}

export function closeClient(client: RemoteClient): Promise<void> {
  return client.kind === 'oci' ? client.upstream.close() : client.remote.upstream.close();
}

/** Where a remote shows: `/v2/NAME/` or `/files/NAME/-/`. */
function mountOf(remote: AnyRemoteConfig): string {
  return remote.kind === 'file' ? `/files/${remote.name}/-/` : `/v2/${remote.name}/`;
}

async function readPassword(remote: AnyRemoteConfig): Promise<string> {
  try {
    return (await readFile(remote.passwordFile!, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`remote ${remote.name}: cannot read passwordFile ${remote.passwordFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
