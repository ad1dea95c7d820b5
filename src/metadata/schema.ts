// The tables of the metadata database as Kysely sees them. The two dialects store a few
// types differently, so selected values are widened and decoded in rows.ts:
// - sizes are BIGINT on PostgreSQL, which pg returns as strings;
// - timestamps are TIMESTAMPTZ on PostgreSQL (returned as Date) and integer milliseconds
//   since the epoch on SQLite (returned as number);
// - annotations are JSON text on both.
// Later milestones add their tables here and in a new migration.
import type { ColumnType } from 'kysely';

/** Written as a number, read back as a number or (PostgreSQL BIGINT) a decimal string. */
export type SizeColumn = ColumnType<number | string, number, number>;
/** Written as what the dialect stores (see timestamps.ts), read back as Date or epoch ms. */
export type TimestampColumn = ColumnType<Date | number | string, Date | number, Date | number>;

export interface RepositoriesTable {
  name: string;
  created_at: TimestampColumn;
}

export interface BlobLinksTable {
  repository: string;
  digest: string;
  size: SizeColumn;
  created_at: TimestampColumn;
}

export interface UploadSessionsTable {
  id: string;
  repository: string;
  created_at: TimestampColumn;
}

export interface ManifestsTable {
  repository: string;
  digest: string;
  media_type: string;
  size: SizeColumn;
  artifact_type: string | null;
  subject: string | null;
  /** JSON text of a string-to-string map, or null. */
  annotations: string | null;
  created_at: TimestampColumn;
}

export interface ManifestReferencesTable {
  repository: string;
  manifest_digest: string;
  referenced_digest: string;
  kind: 'blob' | 'manifest';
}

export interface TagsTable {
  repository: string;
  tag: string;
  digest: string;
  updated_at: TimestampColumn;
}

/** The durable job queue (src/jobs/sql-job-queue.ts). */
export interface JobsTable {
  id: string;
  kind: string;
  /** JSON text. */
  payload: string;
  dedupe_key: string | null;
  state: 'queued' | 'running' | 'done' | 'dead';
  run_at: TimestampColumn;
  lease_owner: string | null;
  lease_until: TimestampColumn | null;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

export interface MetadataTables {
  repositories: RepositoriesTable;
  blob_links: BlobLinksTable;
  upload_sessions: UploadSessionsTable;
  manifests: ManifestsTable;
  manifest_references: ManifestReferencesTable;
  tags: TagsTable;
  jobs: JobsTable;
  content_states: ContentStatesTable;
  verdicts: VerdictsTable;
  quarantine_audit: QuarantineAuditTable;
}

/** The gate's state per digest (src/metadata/sql-quarantine-store.ts). */
export interface ContentStatesTable {
  digest: string;
  kind: 'blob' | 'manifest';
  state: 'pending' | 'clean' | 'infected' | 'failed';
  reason: string | null;
  decided_by: string | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

/** The verdict cache: one row per (digest, scanner, engine key). */
export interface VerdictsTable {
  digest: string;
  scanner: string;
  engine: string;
  verdict: 'clean' | 'infected';
  /** JSON text of Finding[]. */
  findings: string;
  duration_ms: number;
  scanned_at: TimestampColumn;
}

/** Hand-made decisions on content (release, rescan, quarantine, delete). */
export interface QuarantineAuditTable {
  id: string;
  digest: string;
  action: 'release' | 'rescan' | 'quarantine' | 'delete';
  actor: string;
  reason: string;
  at: TimestampColumn;
}

// Identity (migration 0004, src/metadata/sql-identity-store.ts). Declared as a second part of
// MetadataTables (interfaces merge), so each milestone appends its tables without editing
// the others' lines.
export interface MetadataTables {
  users: UsersTable;
  robots: RobotsTable;
  role_bindings: RoleBindingsTable;
  signing_keys: SigningKeysTable;
}

export interface UsersTable {
  id: string;
  name: string;
  /** argon2id PHC string. */
  password_hash: string;
  /** 0 or 1. */
  disabled: number;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

export interface RobotsTable {
  id: string;
  name: string;
  owner_id: string;
  description: string;
  /** SHA-256 of the token's secret, hex. */
  token_hash: string;
  expires_at: TimestampColumn | null;
  last_used_at: TimestampColumn | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

export interface RoleBindingsTable {
  principal_kind: 'user' | 'robot';
  principal_id: string;
  /** A namespace or `*`. */
  namespace: string;
  role: string;
  created_at: TimestampColumn;
}

export interface SigningKeysTable {
  kid: string;
  algorithm: string;
  /** JSON text of the public JWK. */
  public_jwk: string;
  /** JSON text of the private JWK. */
  private_jwk: string;
  created_at: TimestampColumn;
  retired_at: TimestampColumn | null;
}

// Artifact properties (migration 0005, src/metadata/sql-property-store.ts).
export interface MetadataTables {
  artifact_properties: ArtifactPropertiesTable;
}

export interface ArtifactPropertiesTable {
  repository: string;
  /** The manifest's digest. */
  digest: string;
  name: string;
  value: string;
  /** Who set it last: `user:NAME`, `robot:NAME`, or `anonymous` with auth off. */
  updated_by: string;
  updated_at: TimestampColumn;
}

// Vulnerabilities (migration 0006, src/metadata/sql-vulnerability-store.ts).
export interface MetadataTables {
  vulnerability_scans: VulnerabilityScansTable;
  vulnerability_findings: VulnerabilityFindingsTable;
  vulnerability_gates: VulnerabilityGatesTable;
  cve_allowlist: CveAllowlistTable;
}

/** One row per completed vulnerability scan of (digest, scanner), findings or not. */
export interface VulnerabilityScansTable {
  digest: string;
  scanner: string;
  scanned_at: TimestampColumn;
  finding_count: number;
}

export interface VulnerabilityFindingsTable {
  digest: string;
  scanner: string;
  /** The finding's index in the scanner's report. */
  position: number;
  cve: string;
  package: string;
  version: string;
  fixed_version: string | null;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'unknown';
}

export interface VulnerabilityGatesTable {
  /** `*`, a namespace or a repository. */
  scope: string;
  severity: 'critical' | 'high' | 'medium' | 'low' | 'none';
  /** 0 or 1. */
  block_unscanned: number;
  updated_by: string;
  updated_at: TimestampColumn;
}

export interface CveAllowlistTable {
  id: string;
  cve: string;
  scope_kind: 'global' | 'namespace' | 'repository' | 'digest';
  /** The namespace or repository; null for global entries. */
  scope_name: string | null;
  /** Only for scope_kind `digest`. */
  digest: string | null;
  expires_at: TimestampColumn;
  reason: string;
  author: string;
  created_at: TimestampColumn;
}

// Files (migration 0007, src/metadata/sql-file-store.ts).
export interface MetadataTables {
  files: FilesTable;
  file_uploads: FileUploadsTable;
}

export interface FilesTable {
  repository: string;
  path: string;
  digest: string;
  size: SizeColumn;
  media_type: string;
  created_at: TimestampColumn;
}

/** An upload waiting for its scan, before its entry exists (the quarantine reads it). */
export interface FileUploadsTable {
  id: string;
  repository: string;
  digest: string;
  created_at: TimestampColumn;
}

// Properties of file entries (migration 0009, src/metadata/sql-property-store.ts).
export interface MetadataTables {
  file_properties: FilePropertiesTable;
}

export interface FilePropertiesTable {
  repository: string;
  /** The file's path in its repository (files.path). */
  path: string;
  name: string;
  value: string;
  /** Who set it last: `user:NAME`, `robot:NAME`, or `anonymous` with auth off. */
  updated_by: string;
  updated_at: TimestampColumn;
}

// Remotes made through the admin API (migration 0008, src/metadata/sql-remote-store.ts).
export interface MetadataTables {
  remotes: RemotesTable;
}

export interface RemotesTable {
  name: string;
  /** The remote as the JSON of a `remotes:` config entry (no password). */
  definition: string;
  /** The upstream password given to the admin API, as given; null when none. */
  password: string | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
  updated_by: string;
}

// Vulnerability reports from scanner adapters, with their history (migration 0010,
// src/metadata/sql-vulnerability-report-store.ts).
export interface MetadataTables {
  vulnerability_reports: VulnerabilityReportsTable;
}

export interface VulnerabilityReportsTable {
  id: string;
  digest: string;
  repository: string;
  scanner: string;
  status: 'completed' | 'failed';
  mime_type: string | null;
  /** The report as JSON text; null for a failed scan. */
  report: string | null;
  error: string | null;
  scanner_name: string | null;
  scanner_version: string | null;
  db_updated_at: TimestampColumn | null;
  created_at: TimestampColumn;
  /** Migration 0014: the sha256 of the report's canonical JSON, its JWS, and its OCI referrer's digest. */
  report_digest: string | null;
  signature: string | null;
  referrer: string | null;
}

// Keys that sign vulnerability reports (migration 0014, src/metadata/sql-report-signing-key-store.ts).
export interface MetadataTables {
  report_signing_keys: ReportSigningKeysTable;
}

/** The same columns as signing_keys; `retired_at` is when a rotation replaced it (it signs no more, but stays published). */
export type ReportSigningKeysTable = SigningKeysTable;

// Harbor scanner adapters registered through the admin API or recorded from the config file,
// and the scanners namespaces chose (migration 0011, src/metadata/sql-scanner-registration-store.ts).
export interface MetadataTables {
  vulnerability_scanners: VulnerabilityScannersTable;
  vulnerability_scanner_namespaces: VulnerabilityScannerNamespacesTable;
}

export interface VulnerabilityScannersTable {
  name: string;
  /** The `vulnerabilityScanners:` entry as JSON, without its inline secret, default and enabled flags. */
  definition: string;
  /** The inline auth secret (password, token or apiKey), as given; null when none. */
  secret: string | null;
  /** 0 or 1. */
  is_default: number;
  /** 0 or 1. */
  enabled: number;
  source: 'config' | 'api';
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
  updated_by: string;
}

export interface VulnerabilityScannerNamespacesTable {
  namespace: string;
  /** JSON array of scanner names. */
  scanners: string;
  updated_at: TimestampColumn;
  updated_by: string;
}

// When remotes' tags and files were last found current upstream (migration 0012,
// src/metadata/sql-upstream-check-store.ts).
export interface MetadataTables {
  upstream_checks: UpstreamChecksTable;
}

export interface UpstreamChecksTable {
  remote: string;
  kind: 'tag' | 'file';
  /** `repository:tag`, or a file's path. */
  subject: string;
  /** The remote's definition the check was made under. */
  fingerprint: string;
  checked_at: TimestampColumn;
  etag: string | null;
  last_modified: string | null;
}

// Syncs of remotes asked for through the admin API (migration 0013,
// src/metadata/sql-remote-sync-store.ts).
export interface MetadataTables {
  remote_syncs: RemoteSyncsTable;
}

export interface RemoteSyncsTable {
  id: string;
  remote: string;
  /** The remote's name while unfinished, null after (one unfinished sync per remote). */
  active_remote: string | null;
  /** JSON text of the selection. */
  selection: string;
  state: 'queued' | 'running' | 'completed' | 'failed';
  requested_by: string;
  created_at: TimestampColumn;
  started_at: TimestampColumn | null;
  finished_at: TimestampColumn | null;
  updated_at: TimestampColumn;
  attempts: number;
  items_total: number;
  items_done: number;
  items_failed: number;
  bytes_total: SizeColumn;
  bytes_done: SizeColumn;
  current_item: string | null;
  /** JSON text of outcome -> count. */
  outcomes: string;
  /** JSON text of RemoteSyncProblem[]. */
  problems: string;
  error: string | null;
  job_id: string | null;
}

// Webhooks: subscriptions, events, deliveries and their attempts (migration 0015,
// src/metadata/sql-webhook-store.ts).
export interface MetadataTables {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export interface WebhookSubscriptionsTable {
  name: string;
  source: 'config' | 'api';
  url: string;
  /** JSON text of the event types (empty: all). */
  events: string;
  /** JSON text of the namespaces (empty: all). */
  namespaces: string;
  payload: 'summary' | 'full';
  format: 'cloudevents' | 'harbor';
  enabled: number;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: TimestampColumn | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
  updated_by: string;
}

export interface WebhookEventsTable {
  id: string;
  type: string;
  time: TimestampColumn;
  /** JSON text of the whole DomainEvent. */
  event: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  subscription: string;
  event_id: string;
  event_type: string;
  event_time: TimestampColumn;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  replays: number;
  next_attempt_at: TimestampColumn | null;
  last_status: number | null;
  last_error: string | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

export interface WebhookAttemptsTable {
  delivery_id: string;
  replay: number;
  attempt: number;
  started_at: TimestampColumn;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_snippet: string | null;
  outcome: 'delivered' | 'retrying' | 'dead';
}

// Vulnerability scan campaigns, their items and ticks, and the schedules made through the admin
// API (migration 0016, src/metadata/sql-scan-campaign-store.ts, sql-scan-schedule-store.ts).
export interface MetadataTables {
  vulnerability_scan_campaigns: ScanCampaignsTable;
  vulnerability_scan_campaign_items: ScanCampaignItemsTable;
  vulnerability_scan_ticks: ScanTicksTable;
  vulnerability_scan_schedules: ScanSchedulesTable;
}

export interface ScanCampaignsTable {
  id: string;
  scope: string;
  /** JSON text of a string array, or null. */
  scanners: string | null;
  trigger_kind: 'manual' | 'schedule' | 'registration';
  schedule: string | null;
  created_by: string;
  state: 'running' | 'stopped' | 'finished' | 'failed';
  error: string | null;
  max_in_flight: number;
  per_minute: number | null;
  total: number | null;
  enqueued: number;
  completed: number;
  failed: number;
  cancelled: number;
  cursor_repository: string | null;
  cursor_digest: string | null;
  /** 0 or 1. */
  walk_done: number;
  step: number;
  started_at: TimestampColumn;
  finished_at: TimestampColumn | null;
  progressed_at: TimestampColumn;
}

export interface ScanCampaignItemsTable {
  campaign_id: string;
  scanner: string;
  digest: string;
  repository: string;
  state: 'queued' | 'completed' | 'failed';
  job_id: string | null;
  error: string | null;
  created_at: TimestampColumn;
}

export interface ScanTicksTable {
  schedule: string;
  tick_at: TimestampColumn;
  outcome: 'started' | 'skipped';
  campaign_id: string | null;
  reason: string | null;
  recorded_at: TimestampColumn;
}

export interface ScanSchedulesTable {
  name: string;
  /** JSON text of the definition (the scope written as text). */
  definition: string;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
  updated_by: string;
}

// Bucket scanning: object versions handled and the bucket verdict cache (migration 0017,
// src/metadata/sql-bucket-scan-store.ts).
export interface MetadataTables {
  bucket_objects: BucketObjectsTable;
  bucket_verdicts: BucketVerdictsTable;
}

export interface BucketObjectsTable {
  bucket: string;
  object_key: string;
  /** Without quotes. */
  etag: string;
  status: 'scanning' | 'clean' | 'infected' | 'too-large' | 'error';
  attempts: number;
  failures: number;
  abandoned: number;
  lease_owner: string | null;
  lease_until: TimestampColumn | null;
  /** JSON text of the result to publish; null until decided. */
  result: string | null;
  published_at: TimestampColumn | null;
  last_error: string | null;
  created_at: TimestampColumn;
  updated_at: TimestampColumn;
}

/** The verdict cache's columns, keyed by an S3 content key instead of a digest. */
export type BucketVerdictsTable = Omit<VerdictsTable, 'digest'> & { content_key: string };
