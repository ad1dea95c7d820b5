// RemoteStore: the remotes made through the admin API (those of the config file live there,
// not here), kept in the metadata database so that every server sharing it mirrors the same
// upstreams. Adapter: SQL (src/metadata/sql-remote-store.ts); every adapter runs
// src/metadata/remote-store.suite.ts.
//
// The store keeps what it is given and decides nothing: the admin API validates a remote
// (remoteApiSchema) and refuses names the config file owns; the catalog re-validates what it
// reads (a row written by an older version gets the current defaults).
import type { AnyRemoteConfig } from '../config/remote-schema.js';

export interface StoredRemote {
  remote: AnyRemoteConfig;
  /** The upstream password given to the admin API, stored as given; never shown by the API. */
  password: string | undefined;
  createdAt: Date;
  updatedAt: Date;
  /** Who created or last changed it: the admin API's actor (`user:NAME`, `admin`, ...). */
  updatedBy: string;
}

export interface RemoteStore {
  /** Every stored remote, by name. */
  listRemotes(): Promise<StoredRemote[]>;
  getRemote(name: string): Promise<StoredRemote | undefined>;
  /** Stores a new remote; undefined (and nothing changed) when the name is taken. */
  createRemote(remote: AnyRemoteConfig, password: string | undefined, actor: string): Promise<StoredRemote | undefined>;
  /**
   * Replaces the definition of the remote named `remote.name`. `password`: a new one, `null`
   * to remove it, `undefined` to keep the stored one. Undefined when there is no such remote.
   */
  updateRemote(remote: AnyRemoteConfig, password: string | null | undefined, actor: string): Promise<StoredRemote | undefined>;
  /** False when there was no such remote. */
  deleteRemote(name: string): Promise<boolean>;
}
