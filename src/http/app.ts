// buildApp: the HTTP surface over already-composed services. It neither reads config files
// nor opens databases (compose.ts does); tests build it with app.inject() or listen on 0.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { AdmissionMetrics, RegistryMetrics } from '../observability/metrics.js';
import { noMetrics } from '../observability/metrics.js';
import { frameworkErrorHandler, installErrorHandling } from './errors.js';
import { ociRoutes } from './oci/index.js';
import { healthRoutes } from './health.js';
import { openGatekeeper, type Gatekeeper } from '../quarantine/gatekeeper.js';
import { adminRoutes, type AdminRoutesOptions } from './admin/index.js';
import type { AccessControl } from './auth/access-control.js';
import { tokenRoute } from './auth/token-route.js';
import { jwksRoute } from './auth/jwks-route.js';
import { ArtifactGuard } from './auth/artifact-guard.js';
import { PullVulnerabilityGate } from '../vulnerabilities/pull-gate.js';
import type { VulnerabilityStore } from '../ports/vulnerability-store.js';
import { artifactFactsFrom, type ArtifactFactsSource } from '../registry/artifact-facts.js';
import { propertyRoutes } from './properties/routes.js';
import type { PropertyStore } from '../ports/property-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import type { FileStore } from '../ports/file-store.js';
import { fileRoutes } from './files/routes.js';
import type { FileEntries } from './properties/file-holder.js';
import { fileScanStates } from '../registry/files.js';
import type { RemoteSource } from '../registry/remote-source.js';
import type { FileRemoteSource } from '../registry/file-remote-source.js';
import { admissionRoutes } from './kube-admission/routes.js';
import { createAdmissionRoutesOptions } from './kube-admission/create.js';
import type { VulnerabilityReportStore } from '../ports/vulnerability-report-store.js';
import type { ReportSigningKeyStore } from '../ports/report-signing-key-store.js';
import { ReportSigner } from '../vulnerabilities/report-signer.js';
import { reportRoutes } from './reports/routes.js';
import type { QueuedRescan } from '../vulnerabilities/rescan.js';
import { reportKeysRoute } from './reports/keys-route.js';
import type { Events } from '../ports/event-sink.js';
import type { BucketEventIntake } from '../buckets/event-intake.js';
import { bucketEventRoutes } from './buckets/routes.js';

export interface RegisteredRoute {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app (method, URL pattern), in registration order. */
    registeredRoutes: readonly RegisteredRoute[];
  }
}

export interface AppDeps {
  config: Config;
  blobs: BlobStore;
  metadata: MetadataStore;
  logger: Logger;
  metrics?: RegistryMetrics;
  /** The scan gate; absent means no gate (`serve --no-scan`). */
  gatekeeper?: Gatekeeper;
  /** The admin API (absent: no /admin routes). */
  admin?: AdminRoutesOptions;
  /** Scanner health, shown by /readyz without failing it. */
  scannerHealth?: Record<string, () => Promise<void>>;
  /** The vulnerability scanners' (Harbor adapters') health checks as registered now, shown by /readyz without failing it. */
  vulnerabilityScannerHealth?: () => Record<string, () => Promise<void>>;
  /** Queues a vulnerability scan of an artifact now (the reports API's POST …/scan); absent: no adapters. */
  rescanVulnerabilities?: (repository: string, reference: string) => Promise<QueuedRescan>;
  /** The vulnerability scanners (adapters) that scan a repository, as registered now; absent: none. */
  vulnerabilityScannersFor?: (repository: string) => readonly string[];
  /** Renders the Prometheus exposition for GET /metrics; absent means no /metrics route. */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** Identity and policy for /v2 and GET /token; absent means none (`serve --no-auth`, module tests). */
  access?: AccessControl;
  /** Artifact properties (the policy reads them); absent: artifacts have only their annotations. */
  properties?: PropertyStore;
  /** Scan states for the policy's `scan_state`. */
  quarantine?: QuarantineStore;
  /** Findings, gates and allowlist: the vulnerability gate on manifest pulls and the policy's `vulnerabilities`; absent: none. */
  vulnerabilities?: VulnerabilityStore;
  /** Scanner adapters' reports: the reports API (/api/v1/.../vulnerabilities); absent: not served. */
  vulnerabilityReports?: VulnerabilityReportStore;
  /** The keys that sign reports: their JWKS at /.well-known/scangate/report-signing-keys.json; absent: not served. */
  reportSigningKeys?: ReportSigningKeyStore;
  /** The file store's entries (/files/); absent: no file store. */
  files?: FileStore;
  /** Pull-through mirrors (config `remotes:`), consulted by /v2 on a miss; absent: none. */
  remote?: RemoteSource;
  /** File remotes (config `remotes:` of kind file), mirrored under /files/NAME/-/; absent: none. */
  fileRemote?: FileRemoteSource;
  /** Counts the admission webhook's decisions (config `admission:`); absent: not counted. */
  admissionMetrics?: AdmissionMetrics;
  /** Where push, pull, delete and pull-denied events go (src/events); absent: nowhere. */
  events?: Events;
  /** S3 event notifications over HTTP (POST /buckets/events); absent: no bucket takes webhook events. */
  bucketEvents?: BucketEventIntake;
}

/** The decisions taken with the artifact in hand; none when there is neither policy nor gate. */
function artifactGuardFor(deps: AppDeps, facts: ArtifactFactsSource): ArtifactGuard | undefined {
  if (!deps.access && !deps.vulnerabilities) return undefined;
  const reports = deps.vulnerabilityReports;
  const vulnerabilities = deps.vulnerabilities && new PullVulnerabilityGate(deps.vulnerabilities, deps.metadata, reports ? { reports } : {});
  return new ArtifactGuard({ facts, ...(deps.access ? { access: deps.access } : {}), ...(vulnerabilities ? { vulnerabilities } : {}), ...(deps.events ? { events: deps.events } : {}) });
}

/** Where files' scan states come from (no quarantine: none; no gate: everything servable). */
function fileStatesOf(deps: AppDeps) {
  return { states: deps.quarantine ?? { getStates: async () => new Map() }, gatekeeper: deps.gatekeeper ?? openGatekeeper };
}

/** The file entries the properties API sets properties on, with their scan states as /files shows them. */
function fileEntriesFor(deps: AppDeps, files: FileStore): FileEntries {
  const states = fileStatesOf(deps);
  return { entries: files, scanState: async (digest) => (await fileScanStates(states, [digest])).of(digest) };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Blob bodies stream; manifests are capped by the registry itself, not by Fastify.
    bodyLimit: deps.config.registry.maxManifestBytes + 1024,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: 'x-request-id',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 1024 },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  });
  // Every route, as registered: the route-table test walks them all with no credentials.
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', ({ method, url }) => {
    for (const m of [method].flat()) routes.push({ method: m, url });
  });
  app.decorate('registeredRoutes', routes);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  await app.register(healthRoutes, {
    blobs: deps.blobs,
    metadata: deps.metadata,
    renderMetrics: deps.renderMetrics,
    ...(deps.scannerHealth ? { scanners: deps.scannerHealth } : {}),
    ...(deps.vulnerabilityScannerHealth ? { vulnerabilityScanners: deps.vulnerabilityScannerHealth } : {}),
  });
  if (deps.admin) await app.register(adminRoutes, deps.admin);
  if (deps.bucketEvents) await app.register(bucketEventRoutes, { intake: deps.bucketEvents });
  if (deps.access) await app.register(tokenRoute, { access: deps.access });
  if (deps.access) await app.register(jwksRoute, { keys: deps.access.deps.tokens });
  const facts = artifactFactsFrom(deps);
  const guard = artifactGuardFor(deps, facts);
  if (deps.properties) {
    await app.register(propertyRoutes, {
      metadata: deps.metadata,
      properties: deps.properties,
      facts,
      ...(deps.files ? { files: fileEntriesFor(deps, deps.files) } : {}),
      ...(deps.access ? { access: deps.access } : {}),
    });
  }
  if (deps.vulnerabilityReports) {
    await app.register(reportRoutes, {
      metadata: deps.metadata,
      reports: deps.vulnerabilityReports,
      facts,
      maxPageSize: deps.config.registry.maxPageSize,
      ...(deps.access ? { access: deps.access } : {}),
      ...(deps.rescanVulnerabilities ? { rescan: deps.rescanVulnerabilities } : {}),
    });
  }
  if (deps.reportSigningKeys) await app.register(reportKeysRoute, { signer: new ReportSigner(deps.reportSigningKeys) });
  if (deps.files) {
    await app.register(fileRoutes, {
      blobs: deps.blobs,
      files: deps.files,
      ...fileStatesOf(deps),
      config: deps.config,
      metrics: deps.metrics ?? noMetrics,
      sync: () => deps.metadata.sync(),
      ...(deps.fileRemote ? { remote: deps.fileRemote } : {}),
      ...(deps.access ? { access: deps.access } : {}),
      ...(deps.properties ? { properties: deps.properties } : {}),
      ...(deps.events ? { events: deps.events } : {}),
    });
  }
  if (deps.config.admission.enabled) await app.register(admissionRoutes, await createAdmissionRoutesOptions(deps));
  await app.register(ociRoutes, {
    prefix: '/v2',
    blobs: deps.blobs,
    metadata: deps.metadata,
    config: deps.config,
    metrics: deps.metrics ?? noMetrics,
    gatekeeper: deps.gatekeeper ?? openGatekeeper,
    ...(deps.access ? { access: deps.access } : {}),
    ...(guard ? { guard } : {}),
    ...(deps.remote ? { remote: deps.remote } : {}),
    ...(deps.events ? { events: deps.events } : {}),
  });
  return app;
}
