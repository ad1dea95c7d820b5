// Every migration, in order, as code: an object provider works from dist/ and under vitest
// alike, where a FileMigrationProvider would depend on where files land. To change the
// schema, append an entry; never edit or reorder one that has shipped.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectKind } from '../database.js';
import { registryCore } from './0001-registry-core.js';
import { jobs } from './0002-jobs.js';
import { quarantine } from './0003-quarantine.js';
import { identity } from './0004-identity.js';
import { properties } from './0005-properties.js';
import { vulnerabilities } from './0006-vulnerabilities.js';
import { files } from './0007-files.js';
import { remotes } from './0008-remotes.js';
import { fileProperties } from './0009-file-properties.js';
import { vulnerabilityReports } from './0010-vulnerability-reports.js';
import { scannerRegistrations } from './0011-scanner-registrations.js';
import { upstreamChecks } from './0012-upstream-checks.js';
import { remoteSyncs } from './0013-remote-syncs.js';
import { reportSignatures } from './0014-report-signatures.js';
import { webhooks } from './0015-webhooks.js';
import { scanCampaigns } from './0016-scan-campaigns.js';
import { bucketScans } from './0017-bucket-scans.js';

function migrations(dialect: DialectKind): Record<string, Migration> {
  return {
    '0001_registry_core': registryCore(dialect),
    '0002_jobs': jobs(dialect),
    '0003_quarantine': quarantine(dialect),
    '0004_identity': identity(dialect),
    '0005_properties': properties(dialect),
    '0006_vulnerabilities': vulnerabilities(dialect),
    '0007_files': files(dialect),
    '0008_remotes': remotes(dialect),
    '0009_file_properties': fileProperties(dialect),
    '0010_vulnerability_reports': vulnerabilityReports(dialect),
    '0011_scanner_registrations': scannerRegistrations(dialect),
    '0012_upstream_checks': upstreamChecks(dialect),
    '0013_remote_syncs': remoteSyncs(dialect),
    '0014_report_signatures': reportSignatures(dialect),
    '0015_webhooks': webhooks(dialect),
    '0016_scan_campaigns': scanCampaigns(dialect),
    '0017_bucket_scans': bucketScans(dialect),
  };
}

export function migrationProvider(dialect: DialectKind): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}

/**
 * Brings the schema up to date. Idempotent. Several processes may call it at once: on
 * PostgreSQL Kysely holds an advisory lock; on SQLite the batch runs in one BEGIN IMMEDIATE
 * transaction (see database.ts), so the others wait and then find nothing left to do.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: DialectKind): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    const where = failed === undefined ? 'before any migration ran' : `in migration ${failed}`;
    throw new Error(`database migration failed ${where}: ${errorMessage(error)}`, { cause: error });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
