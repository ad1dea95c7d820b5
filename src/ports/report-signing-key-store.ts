// ReportSigningKeyStore: the Ed25519 keys that sign vulnerability reports. Kept apart from the
// registry token keys (IdentityStore's signing keys) on purpose: a report key can never sign
// or verify a registry token, and a token key never a report. Reports are kept for years, so a
// key a rotation retired stays published (it verifies what it signed) until an admin deletes
// it — unlike token keys, which go once every token they signed has expired.
// Adapter: SQL on the metadata database (src/metadata/sql-report-signing-key-store.ts).
// Every adapter runs src/metadata/report-signing-key-store.suite.ts.
import type { NewSigningKey, SigningKeyRecord } from './identity-store.js';

/** The same shape as a token key; `retiredAt` is when it stopped signing (it still verifies). */
export type ReportSigningKeyRecord = SigningKeyRecord;
export type NewReportSigningKey = NewSigningKey;

export interface ReportSigningKeyStore {
  /**
   * Makes `key` the key that signs and retires the previous one(s) at the same moment, in one
   * transaction: there is never more than one current key.
   */
  rotate(key: NewReportSigningKey): Promise<ReportSigningKeyRecord>;
  /** The key that signs now, if any. */
  current(): Promise<ReportSigningKeyRecord | undefined>;
  /** Every key not deleted (the current one and the retired ones), newest first. */
  list(): Promise<ReportSigningKeyRecord[]>;
  /** Deletes a key: reports it signed no longer verify. Whether there was one. */
  delete(kid: string): Promise<boolean>;
}
