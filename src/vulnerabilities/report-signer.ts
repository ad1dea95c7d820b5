// Signs vulnerability reports: a compact JWS (EdDSA, Ed25519) over a statement that names the
// artifact and the report's digest (report-statement.ts). The keys live in the database
// (ReportSigningKeyStore), apart from the registry token keys: one is made on first use,
// rotation makes a new one, and every key not deleted is published (publicJwks) so that the
// reports it signed keep verifying. Ed25519 signatures are deterministic: signing the same
// statement with the same key gives the same JWS, so a retried job writes the same bytes.
import { CompactSign, importJWK, type JWK } from 'jose';
import { generateSigningKey, signingAlgorithm } from '../auth/signing-key.js';
import type { ReportSigningKeyRecord, ReportSigningKeyStore } from '../ports/report-signing-key-store.js';
import type { ReportSignature } from '../ports/vulnerability-report-store.js';
import { reportStatement, type ScannedReport } from './report-statement.js';

/** The JWS `typ` of a report statement (RFC 7515 §4.1.9: a media type without `application/`). */
export const reportStatementJwsType = 'vnd.scangate.vulnerability-report-statement.v1+json';

interface CurrentKey {
  record: ReportSigningKeyRecord;
  key: CryptoKey;
  loadedAt: number;
}

export class ReportSigner {
  readonly #store: ReportSigningKeyStore;
  readonly #keyCacheMs: number;
  #current: CurrentKey | undefined;
  #loading: Promise<CurrentKey> | undefined;

  /** `keyCacheMs`: how long a process signs with the key it read before looking again (a rotation elsewhere). */
  constructor(store: ReportSigningKeyStore, options: { keyCacheMs?: number } = {}) {
    this.#store = store;
    this.#keyCacheMs = options.keyCacheMs ?? 60_000;
  }

  /** The compact JWS of `payload`, its header naming the key. */
  async sign(payload: Uint8Array): Promise<string> {
    const { record, key } = await this.#signingKey();
    return new CompactSign(payload).setProtectedHeader({ alg: signingAlgorithm, kid: record.kid, typ: reportStatementJwsType }).sign(key);
  }

  /** Every key that verifies reports (current and retired, not deleted): a JWKS document. */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.#store.list()).map((key) => key.publicJwk as JWK) };
  }

  /** Makes a new signing key; the one before stops signing and keeps verifying. */
  async rotate(): Promise<ReportSigningKeyRecord> {
    const { key, privateKey } = await generateSigningKey();
    const record = await this.#store.rotate(key);
    this.#current = { record, key: privateKey, loadedAt: Date.now() };
    return record;
  }

  async #signingKey(): Promise<CurrentKey> {
    const cached = this.#current;
    if (cached && Date.now() - cached.loadedAt < this.#keyCacheMs) return cached;
    // One load at a time: concurrent first signatures must not each make a key.
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    this.#current = await this.#loading;
    return this.#current;
  }

  async #load(): Promise<CurrentKey> {
    const record = await this.#store.current();
    if (record === undefined) {
      const { key, privateKey } = await generateSigningKey();
      return { record: await this.#store.rotate(key), key: privateKey, loadedAt: Date.now() };
    }
    const key = (await importJWK(JSON.parse(record.privateJwk) as JWK, record.algorithm)) as CryptoKey;
    return { record, key, loadedAt: Date.now() };
  }
}

/** The signature of a completed scan's report: the JWS of its statement (report-statement.ts). */
export async function signReport(signer: Pick<ReportSigner, 'sign'>, scan: ScannedReport): Promise<ReportSignature> {
  const { statement, bytes } = reportStatement(scan);
  return { reportDigest: statement.report.digest, jws: await signer.sign(bytes) };
}
