// The composition root: the one place that turns configuration into adapters. Drivers are
// picked from explicit maps (config value -> factory), never registered by side effect, so
// adding a driver means adding a schema variant and one line here.
import { join, resolve } from 'node:path';
import type { Config } from './config/schema.js';
import { setNamespacePrefixes } from './domain/names.js';
import type { Kysely } from 'kysely';
import { SqlJobQueue } from './jobs/sql-job-queue.js';
import { openDatabase, sqliteFileOf } from './metadata/database.js';
import { walSync } from './metadata/wal-sync.js';
import type { MetadataTables } from './metadata/schema.js';
import { SqlIdentityStore } from './metadata/sql-identity-store.js';
import { SqlMetadataStore } from './metadata/sql-metadata-store.js';
import { SqlPropertyStore } from './metadata/sql-property-store.js';
import { SqlFileStore } from './metadata/sql-file-store.js';
import { SqlQuarantineStore } from './metadata/sql-quarantine-store.js';
import { SqlRemoteStore } from './metadata/sql-remote-store.js';
import { SqlScannerRegistrationStore } from './metadata/sql-scanner-registration-store.js';
import { SqlUpstreamCheckStore } from './metadata/sql-upstream-check-store.js';
import { SqlRemoteSyncStore } from './metadata/sql-remote-sync-store.js';
import { SqlVulnerabilityStore } from './metadata/sql-vulnerability-store.js';
import { SqlVulnerabilityReportStore } from './metadata/sql-vulnerability-report-store.js';
import { SqlReportSigningKeyStore } from './metadata/sql-report-signing-key-store.js';
import { SqlWebhookStore } from './metadata/sql-webhook-store.js';
import { SqlScanCampaignStore } from './metadata/sql-scan-campaign-store.js';
import { SqlScanScheduleStore } from './metadata/sql-scan-schedule-store.js';
import { SqlBucketScanStore } from './metadata/sql-bucket-scan-store.js';
import type { BucketScanStore } from './ports/bucket-scan-store.js';
import type { BlobStore } from './ports/blob-store.js';
import type { IdentityStore } from './ports/identity-store.js';
import type { JobQueue } from './ports/job-queue.js';
import type { MetadataStore } from './ports/metadata-store.js';
import type { PropertyStore } from './ports/property-store.js';
import type { FileStore } from './ports/file-store.js';
import type { VulnerabilityStore } from './ports/vulnerability-store.js';
import type { VulnerabilityReportStore } from './ports/vulnerability-report-store.js';
import type { ReportSigningKeyStore } from './ports/report-signing-key-store.js';
import type { QuarantineStore } from './ports/quarantine-store.js';
import type { RemoteStore } from './ports/remote-store.js';
import type { ScannerRegistrationStore } from './ports/scanner-registration-store.js';
import type { UpstreamCheckStore } from './ports/upstream-check-store.js';
import type { RemoteSyncStore } from './ports/remote-sync-store.js';
import type { WebhookStore } from './ports/webhook-store.js';
import type { ScanCampaignStore } from './ports/scan-campaign-store.js';
import type { ScanScheduleStore } from './ports/scan-schedule-store.js';
import { FilesystemBlobStore } from './storage/fs-blob-store.js';

/** A factory per driver value, each typed with the config variant of its own driver. */
type FactoryMap<C extends { driver: string }, R> = {
  [D in C['driver']]: (config: Extract<C, { driver: D }>, dataDir: string) => R;
};

export const storageDrivers: FactoryMap<Config['storage'], BlobStore> = {
  filesystem: (config, dataDir) => new FilesystemBlobStore({ root: config.path ?? join(dataDir, 'blobs'), fsync: config.fsync }),
};

/** The stores that live in the metadata database; they share one connection (pool). */
export interface DatabaseStores {
  metadata: MetadataStore;
  queue: JobQueue;
  quarantine: QuarantineStore;
  /** Users, robots, role bindings and token signing keys. */
  identity: IdentityStore;
  /** Properties set on artifacts and files through the API. */
  properties: PropertyStore;
  /** Vulnerability findings, gates and the CVE allowlist. */
  vulnerabilities: VulnerabilityStore;
  /** Scanner adapters' reports, with their history. */
  vulnerabilityReports: VulnerabilityReportStore;
  /** The keys that sign those reports (apart from the registry token keys). */
  reportSigningKeys: ReportSigningKeyStore;
  /** The file store's entries (/files/). */
  files: FileStore;
  /** Remotes made through the admin API. */
  remotes: RemoteStore;
  /** Harbor scanner adapters registered (API and config) and the namespaces' choices. */
  scannerRegistrations: ScannerRegistrationStore;
  /** When remotes' tags and files were last found current upstream. */
  upstreamChecks: UpstreamCheckStore;
  /** Syncs of remotes asked for through the admin API, with their progress. */
  remoteSyncs: RemoteSyncStore;
  /** Webhook subscriptions, events and the delivery log. */
  webhooks: WebhookStore;
  /** Vulnerability scan campaigns (scan everything in a scope), their progress and schedule ticks. */
  scanCampaigns: ScanCampaignStore;
  /** Cron schedules of scan campaigns made through the admin API. */
  scanSchedules: ScanScheduleStore;
  /** Bucket scanning: object versions handled and the bucket verdict cache. */
  bucketScans: BucketScanStore;
  close(): Promise<void>;
}

function sqlStores(db: Kysely<MetadataTables>, retry: Config['scanning']['retry'], sqliteFile?: string): DatabaseStores {
  const sync = sqliteFile === undefined ? undefined : walSync(sqliteFile);
  return {
    metadata: new SqlMetadataStore(db, { ownsDatabase: false, ...(sync ? { sync: () => sync.sync() } : {}) }),
    queue: new SqlJobQueue(db, { backoff: { baseMs: retry.baseSeconds * 1000, capMs: retry.capSeconds * 1000 } }),
    quarantine: new SqlQuarantineStore(db),
    identity: new SqlIdentityStore(db),
    properties: new SqlPropertyStore(db),
    vulnerabilities: new SqlVulnerabilityStore(db),
    vulnerabilityReports: new SqlVulnerabilityReportStore(db),
    reportSigningKeys: new SqlReportSigningKeyStore(db),
    files: new SqlFileStore(db),
    remotes: new SqlRemoteStore(db),
    scannerRegistrations: new SqlScannerRegistrationStore(db),
    upstreamChecks: new SqlUpstreamCheckStore(db),
    remoteSyncs: new SqlRemoteSyncStore(db),
    webhooks: new SqlWebhookStore(db),
    scanCampaigns: new SqlScanCampaignStore(db),
    scanSchedules: new SqlScanScheduleStore(db),
    bucketScans: new SqlBucketScanStore(db),
    close: () => db.destroy(),
  };
}

// One Kysely instance per process: two better-sqlite3 connections in one process would
// block each other, and on PostgreSQL one pool is what the config sizes.
export const databaseDrivers: FactoryMap<Config['database'], (retry: Config['scanning']['retry']) => DatabaseStores> = {
  sqlite: (config, dataDir) => (retry) => sqlStores(openDatabase(config, dataDir), retry, sqliteFileOf(config, dataDir)),
  postgres: (config, dataDir) => (retry) => sqlStores(openDatabase(config, dataDir), retry),
};

/** Everything a process composes: the database's stores, the blob store and where data lives. */
export interface Services extends DatabaseStores {
  /** The data directory, absolute. */
  dataDir: string;
  blobs: BlobStore;
  /** Releases what the adapters hold (database connections). Idempotent. */
  close(): Promise<void>;
}

export function compose(config: Config): Services {
  setNamespacePrefixes(config.registry.namespaces);
  const dataDir = resolve(config.data);
  const blobs = pick(storageDrivers, config.storage, dataDir);
  const stores = pick(databaseDrivers, config.database, dataDir)(config.scanning.retry);
  let closed: Promise<void> | undefined;
  return { ...stores, dataDir, blobs, close: () => (closed ??= stores.close()) };
}

/** compose(), then the metadata schema brought up to date; closes what it opened if that fails. */
export async function composeMigrated(config: Config): Promise<Services> {
  const services = compose(config);
  try {
    await services.metadata.migrate();
  } catch (error) {
    await services.close();
    throw error;
  }
  return services;
}

function pick<C extends { driver: string }, R>(factories: FactoryMap<C, R>, config: C, dataDir: string): R {
  // The map is total over C['driver'] (the type above makes it so), so the lookup cannot miss.
  const factory = factories[config.driver as C['driver']] as (config: C, dataDir: string) => R;
  return factory(config, dataDir);
}
