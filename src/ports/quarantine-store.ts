// QuarantineStore: what the gate knows about content — a state per digest, the verdict
// cache, and the audit log of hand-made decisions. Adapter: SQL on the metadata database
// (src/metadata/sql-quarantine-store.ts). Every adapter runs src/metadata/quarantine-store.suite.ts.
import type { Digest } from '../domain/digest.js';
import type { Finding, Verdict } from './scanner.js';

/**
 * pending  -> waiting for at least one required scanner;
 * clean    -> every required scanner passed it (or an admin released it);
 * infected -> a scanner found something: never served;
 * failed   -> a scanner kept erroring until its job gave up: never served.
 */
export type ContentState = 'pending' | 'clean' | 'infected' | 'failed';
export type ContentKind = 'blob' | 'manifest';

export interface StateRecord {
  digest: Digest;
  kind: ContentKind;
  state: ContentState;
  /** Why: signatures found, the scanner error, or an admin's reason. */
  reason: string | null;
  /** Who decided: scanner names (`clamav,trivy`) or `admin:<name>`. */
  decidedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StateUpdate {
  state: ContentState;
  reason: string | null;
  decidedBy: string | null;
}

/** One scan's outcome: the verdict cache is keyed by (digest, scanner, engine key). */
export interface VerdictRecord {
  digest: Digest;
  scanner: string;
  /** EngineVersion.key: engine + signature-database version. */
  engine: string;
  verdict: Verdict;
  findings: Finding[];
  durationMs: number;
  scannedAt: Date;
}

export type AuditAction = 'release' | 'rescan' | 'quarantine' | 'delete';

export interface AuditEntry {
  digest: Digest;
  action: AuditAction;
  actor: string;
  reason: string;
  at: Date;
}

export interface StateFilter {
  state?: ContentState;
  /** Digests sorted after this one (pagination). */
  after?: string;
  /** Default 100. */
  limit?: number;
}

export interface QuarantineStore {
  /**
   * Records a digest as `pending` unless it has a state already; returns its state either
   * way (a digest pushed again keeps its verdict). Idempotent and safe under concurrency.
   */
  admit(digest: Digest, kind: ContentKind): Promise<StateRecord>;
  getState(digest: Digest): Promise<StateRecord | undefined>;
  /** States of many digests at once (missing ones are absent from the map). */
  getStates(digests: readonly Digest[]): Promise<Map<Digest, StateRecord>>;
  /** Sets the state (creating the row if needed); returns the previous state, if any. */
  setState(digest: Digest, kind: ContentKind, update: StateUpdate): Promise<StateRecord | undefined>;
  listStates(filter?: StateFilter): Promise<StateRecord[]>;
  countStates(): Promise<Record<ContentState, number>>;

  /** Stores a verdict; a second one for the same (digest, scanner, engine) replaces it. */
  recordVerdict(verdict: VerdictRecord): Promise<void>;
  /** The cached verdict for exactly this engine key, if any. */
  findVerdict(digest: Digest, scanner: string, engine: string): Promise<VerdictRecord | undefined>;
  /** The newest verdict of each scanner for the digest. */
  latestVerdicts(digest: Digest): Promise<VerdictRecord[]>;
  /**
   * Up to `limit` digests in state `clean` whose newest verdict from `scanner` was made
   * with another engine key than `engine` (stale after a signature update), oldest first.
   */
  staleClean(scanner: string, engine: string, limit: number): Promise<Digest[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first; for one digest or all. */
  listAudit(digest?: Digest, limit?: number): Promise<AuditEntry[]>;

  /** The repositories that hold the digest as a blob link, a manifest or a file (or a file upload being scanned), for scanner choice. */
  repositoriesHolding(digest: Digest): Promise<string[]>;
}
