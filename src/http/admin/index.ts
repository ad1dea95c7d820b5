// The admin API under /admin, behind one guard (guard.ts): the admin token in
// DATA/admin-token always; with auth on, also users, robots and registry tokens whose roles
// pass the policy's `admin` rule. The guard names the caller in `request.adminActor`.
import type { FastifyPluginAsync } from 'fastify';
import type { IdentityAdmin } from '../../auth/identity-admin.js';
import type { AccessControl } from '../auth/access-control.js';
import type { JobQueue } from '../../ports/job-queue.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { VulnerabilityStore } from '../../ports/vulnerability-store.js';
import type { QuarantineAdmin } from '../../quarantine/admin-actions.js';
import type { BlobStore } from '../../ports/blob-store.js';
import { adminGuard } from './guard.js';
import { identityRoutes } from './identity-routes.js';
import { quarantineRoutes } from './quarantine-routes.js';
import { remoteRoutes } from './remote-routes.js';
import { scanCampaignRoutes } from './scan-campaign-routes.js';
import { scanScheduleRoutes } from './scan-schedule-routes.js';
import type { CampaignServices } from '../../vulnerabilities/campaign-services.js';
import type { RemoteAdmin } from '../../remotes/remote-admin.js';
import type { RemoteSyncs } from '../../remotes/remote-syncs.js';
import { remoteSyncRoutes } from './remote-sync-routes.js';
import { vulnerabilityRoutes } from './vulnerability-routes.js';
import { vulnerabilityScannerRoutes } from './vulnerability-scanner-routes.js';
import type { ScannerAdmin } from '../../vulnerabilities/scanner-admin.js';
import { reportKeyRoutes } from './report-key-routes.js';
import type { ReportSigningKeyStore } from '../../ports/report-signing-key-store.js';
import { webhookRoutes } from './webhook-routes.js';
import type { WebhookAdmin } from '../../events/webhooks/webhook-admin.js';

/** What the quarantine routes act on; absent with no scan gate (`--no-scan`). */
export interface QuarantineAdminOptions {
  store: QuarantineStore;
  admin: QuarantineAdmin;
  blobs: BlobStore;
  queue: JobQueue;
}

export interface AdminRoutesOptions {
  token: string;
  /** The quarantine and the job queue (quarantine-routes.ts); absent: not served. */
  quarantine?: QuarantineAdminOptions;
  /** Vulnerability gates and the CVE allowlist (vulnerability-routes.ts); absent: not served. */
  vulnerabilities?: VulnerabilityStore;
  /** Identity and policy (auth on): who besides the admin token's holder may use /admin. */
  access?: AccessControl;
  /** Users, robots, role bindings and signing keys (identity-routes.ts); absent: not served. */
  identity?: IdentityAdmin;
  /** Remotes (remote-routes.ts); absent: not served. */
  remotes?: RemoteAdmin;
  /** Vulnerability scanner registrations and namespace choices (vulnerability-scanner-routes.ts); absent: not served. */
  vulnerabilityScanners?: ScannerAdmin;
  /** Vulnerability scan campaigns and their schedules (scan-campaign-routes.ts, scan-schedule-routes.ts); absent: not served. */
  scanCampaigns?: CampaignServices;
  /** Syncs of remotes (remote-sync-routes.ts); absent: not served. */
  remoteSyncs?: RemoteSyncs;
  /** The keys that sign vulnerability reports (report-key-routes.ts); absent: not served. */
  reportSigningKeys?: ReportSigningKeyStore;
  /** Webhook subscriptions and deliveries (webhook-routes.ts); absent: not served. */
  webhooks?: WebhookAdmin;
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, options) => {
  app.decorateRequest('adminActor', '');
  app.addHook('onRequest', adminGuard(options));
  if (options.identity) await app.register(identityRoutes, { identity: options.identity });
  if (options.quarantine) await app.register(quarantineRoutes, options.quarantine);
  if (options.vulnerabilities) await app.register(vulnerabilityRoutes, { store: options.vulnerabilities });
  if (options.remotes) await app.register(remoteRoutes, { remotes: options.remotes });
  if (options.vulnerabilityScanners) await app.register(vulnerabilityScannerRoutes, { scanners: options.vulnerabilityScanners });
  if (options.scanCampaigns) {
    await app.register(scanCampaignRoutes, { campaigns: options.scanCampaigns });
    await app.register(scanScheduleRoutes, { schedules: options.scanCampaigns.schedules });
  }
  if (options.remoteSyncs) await app.register(remoteSyncRoutes, { syncs: options.remoteSyncs });
  if (options.reportSigningKeys) await app.register(reportKeyRoutes, { keys: options.reportSigningKeys });
  if (options.webhooks) await app.register(webhookRoutes, { webhooks: options.webhooks });
};
