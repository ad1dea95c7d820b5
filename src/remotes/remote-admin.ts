// What the admin API does with remotes, OCI and file (http/admin/remote-routes.ts is only its HTTP face):
// remotes of the config file are listed but belong to the file (changing one answers 409);
// those made here are stored in the database with the password given (never shown again:
// `passwordSet`), and this process reloads its catalog after each change, so the next
// request sees it. Other servers sharing the database see it within their reload interval,
// or at once on a miss.
import { RegistryError } from '../domain/errors.js';
import type { AnyRemoteConfig, RemoteApiInput } from '../config/remote-schema.js';
import type { RemoteStore } from '../ports/remote-store.js';
import type { RemoteSyncStore } from '../ports/remote-sync-store.js';
import type { UpstreamCheckStore } from '../ports/upstream-check-store.js';
import { clientFor, closeClient, type CatalogEntry, type RemoteCatalog, type RemoteOrigin } from './remote-catalog.js';

/** A remote as the admin API shows it: its definition, never its password. */
export type RemoteView = AnyRemoteConfig & {
  source: RemoteOrigin;
  passwordSet: boolean;
  createdAt?: string;
  updatedAt?: string;
  updatedBy?: string;
};

/** What else goes with a deleted remote. */
export interface RemoteAdminExtras {
  /** When its tags and files were checked upstream: dropped. */
  checks?: UpstreamCheckStore;
  /** Its unfinished sync: failed (nothing is left to sync from). */
  syncs?: RemoteSyncStore;
}

export class RemoteAdmin {
  constructor(
    private readonly catalog: RemoteCatalog,
    private readonly store: RemoteStore,
    private readonly extras: RemoteAdminExtras = {},
  ) {}

  async list(): Promise<RemoteView[]> {
    await this.catalog.reload();
    return this.catalog.entries().map(viewOf);
  }

  async get(name: string): Promise<RemoteView> {
    await this.catalog.reload();
    return viewOf(this.existing(name));
  }

  /** A new remote; 409 when the name is taken (by the config file or the API). */
  async create(input: RemoteApiInput, actor: string): Promise<RemoteView> {
    await this.catalog.reload();
    this.refuseConfigured(input.name);
    const { remote, password } = await usable(input);
    const created = await this.store.createRemote(remote, password, actor);
    if (!created) {
      throw new RegistryError('UNSUPPORTED', `remote ${input.name} exists; change it with PUT /admin/remotes/${input.name}`, {
        status: 409,
        detail: { reason: 'exists', remote: input.name },
      });
    }
    return this.reloaded(input.name);
  }

  /**
   * Creates or replaces the remote. A password left out keeps the stored one (the API never
   * shows it, so a client cannot send it back); without a username, or with a passwordFile,
   * a stored password goes.
   */
  async put(input: RemoteApiInput, actor: string): Promise<{ view: RemoteView; created: boolean }> {
    await this.catalog.reload();
    this.refuseConfigured(input.name);
    const { remote, password } = await usable(input);
    const change = password ?? (remote.username === undefined || remote.passwordFile !== undefined ? null : undefined);
    // Update, else create; made by another admin in between: update it after all.
    for (;;) {
      if (await this.store.updateRemote(remote, change, actor)) return { view: await this.reloaded(input.name), created: false };
      if (await this.store.createRemote(remote, password, actor)) return { view: await this.reloaded(input.name), created: true };
    }
  }

  async delete(name: string): Promise<void> {
    await this.catalog.reload();
    this.refuseConfigured(name);
    if (!(await this.store.deleteRemote(name))) throw unknownRemote(name);
    await this.catalog.reload();
    await this.extras.checks?.forgetRemoteChecks(name);
    const active = await this.extras.syncs?.activeSync(name);
    if (active) await this.extras.syncs!.finishSync(active.id, { state: 'failed', error: `remote ${name} was deleted` });
  }

  /** The remote as of a fresh read; 404 when there is none. */
  async entry(name: string): Promise<CatalogEntry> {
    await this.catalog.reload();
    return this.existing(name);
  }

  private existing(name: string): CatalogEntry {
    const entry = this.catalog.entry(name);
    if (!entry) throw unknownRemote(name);
    return entry;
  }

  private refuseConfigured(name: string): void {
    if (this.catalog.entry(name)?.source !== 'config') return;
    throw new RegistryError('UNSUPPORTED', `remote ${name} is defined in the config file: edit the file (and restart) to change it`, {
      status: 409,
      detail: { reason: 'config', remote: name },
    });
  }

  private async reloaded(name: string): Promise<RemoteView> {
    await this.catalog.reload();
    return viewOf(this.existing(name));
  }
}

/** The definition and password to store, once an upstream client can be built from them (a passwordFile must be readable). */
async function usable(input: RemoteApiInput): Promise<{ remote: AnyRemoteConfig; password: string | undefined }> {
  const { password, ...remote } = input;
  try {
    await closeClient(await clientFor(remote, password));
  } catch (err) {
    throw new RegistryError('UNSUPPORTED', `invalid remote: ${(err as Error).message}`, { status: 400, detail: { remote: remote.name } });
  }
  return { remote, password };
}

export function unknownRemote(name: string): RegistryError {
  return new RegistryError('UNSUPPORTED', `no remote is named ${name}`, { status: 404, detail: { remote: name } });
}

export function viewOf(entry: CatalogEntry): RemoteView {
  const { stored } = entry;
  return {
    ...entry.remote,
    source: entry.source,
    passwordSet: entry.passwordSet,
    ...(stored ? { createdAt: stored.createdAt.toISOString(), updatedAt: stored.updatedAt.toISOString(), updatedBy: stored.updatedBy } : {}),
  };
}
