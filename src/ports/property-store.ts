// PropertyStore: the properties set through the properties API (Glance's image properties)
// on an artifact (a manifest in a repository) or on a file (an entry of the file store).
// Adapter: SQL on the metadata database (src/metadata/sql-property-store.ts); every adapter
// runs src/metadata/property-store.suite.ts.
//
// Properties belong to their subject's record: deleting the manifest or the file entry
// deletes them. A file's properties stay when new bytes are uploaded over it (the entry is
// the same; see docs/files.md).
//
// The store keeps what it is given; names and values are validated by the API
// (src/properties/json-patch.ts) and protected by src/policy/property-protections.ts.
import type { Digest } from '../domain/digest.js';

/** What properties are set on: an artifact by its digest, or a file entry by its path. */
export type PropertySubject =
  | { kind: 'artifact'; repository: string; digest: Digest }
  | { kind: 'file'; repository: string; path: string };

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
  /** A subject's properties, sorted by name; empty for an unknown subject. */
  list(subject: PropertySubject): Promise<PropertyRecord[]>;
  /** name -> value for several artifacts of one repository in one query (an index's children, a blob's manifests). */
  valuesFor(repository: string, digests: readonly Digest[]): Promise<Map<Digest, Record<string, string>>>;
  /**
   * Reads the subject's current values, lets `plan` decide what to write, and writes it, in
   * one transaction: two concurrent updates never interleave, so a patch's `test` ops and
   * the property protections see what they change. `plan` may throw: nothing is written.
   * Undefined when the subject (the manifest in that repository, or the file entry) does
   * not exist.
   */
  update<T>(
    subject: PropertySubject,
    actor: string,
    plan: (current: Readonly<Record<string, string>>) => { writes: PropertyWrites; result: T },
  ): Promise<T | undefined>;
}
