// PropertyStore: the properties set on artifacts through the properties API (Glance's
// image properties, for any artifact: a manifest in a repository). Adapter: SQL on the
// metadata database (src/metadata/sql-property-store.ts); every adapter runs
// src/metadata/property-store.suite.ts.
//
// The store keeps what it is given; names and values are validated by the API
// (src/properties/json-patch.ts) and protected by src/policy/property-protections.ts.
import type { Digest } from '../domain/digest.js';

export interface PropertyRecord {
  name: string;
  value: string;
  /** `user:NAME`, `robot:NAME`, or `anonymous` when auth is off. */
  updatedBy: string;
  updatedAt: Date;
}

/** What an update writes: values to set (create or replace) and names to remove. */
export interface PropertyWrites {
  set: Readonly<Record<string, string>>;
  remove: readonly string[];
}

export interface PropertyStore {
  /** An artifact's properties, sorted by name; empty for an unknown artifact. */
  list(repository: string, digest: Digest): Promise<PropertyRecord[]>;
  /** name -> value for several artifacts of one repository in one query (an index's children, a blob's manifests). */
  valuesFor(repository: string, digests: readonly Digest[]): Promise<Map<Digest, Record<string, string>>>;
  /**
   * Reads the artifact's current values, lets `plan` decide what to write, and writes it, in
   * one transaction: two concurrent updates never interleave, so a patch's `test` ops and
   * the property protections see what they change. `plan` may throw: nothing is written.
   * Undefined when the artifact (the manifest in that repository) does not exist.
   */
  update<T>(
    repository: string,
    digest: Digest,
    actor: string,
    plan: (current: Readonly<Record<string, string>>) => { writes: PropertyWrites; result: T },
  ): Promise<T | undefined>;
}
