// UpstreamCheckStore: when a remote's tag (OCI, on_demand) or file (without a manifest) was last
// found current upstream, kept in the metadata database so that a restart does not re-check
// every one of them at once (a burst of upstream requests, and a rate-limited upstream's 429s).
// Adapter: SQL (src/metadata/sql-upstream-check-store.ts); every adapter runs
// src/metadata/upstream-check-store.suite.ts.
//
// A check is only as good as the remote it was made for: `fingerprint` names the remote's
// definition then, and the reader ignores a check whose fingerprint is not the current one.

export type UpstreamCheckKind = 'tag' | 'file';

export interface UpstreamCheck {
  remote: string;
  kind: UpstreamCheckKind;
  /** A tag: `repository:tag` (the local repository); a file: its path. */
  subject: string;
  /** The remote's definition the check was made under. */
  fingerprint: string;
  checkedAt: Date;
  /** A file's ETag and Last-Modified as the upstream last sent them, to ask again conditionally. */
  etag: string | null;
  lastModified: string | null;
}

export interface UpstreamCheckStore {
  getCheck(remote: string, kind: UpstreamCheckKind, subject: string): Promise<UpstreamCheck | undefined>;
  /** Records the check, replacing the one of the same (remote, kind, subject). */
  recordCheck(check: UpstreamCheck): Promise<void>;
  forgetCheck(remote: string, kind: UpstreamCheckKind, subject: string): Promise<void>;
  /** Every check of the remote (it was deleted); resolves to how many went. */
  forgetRemoteChecks(remote: string): Promise<number>;
}
