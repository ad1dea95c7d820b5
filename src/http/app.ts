// buildApp: the HTTP surface over already-composed services. It neither reads config files
// nor opens databases (compose.ts does); tests build it with app.inject() or listen on 0.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { RegistryMetrics } from '../observability/metrics.js';
import { noMetrics } from '../observability/metrics.js';
import { installErrorHandling } from './errors.js';
import { ociRoutes } from './oci/index.js';
import { healthRoutes } from './health.js';
import { openGatekeeper, type Gatekeeper } from '../quarantine/gatekeeper.js';
import { adminRoutes, type AdminRoutesOptions } from './admin/index.js';
import type { AccessControl } from './auth/access-control.js';
import { tokenRoute } from './auth/token-route.js';
import { jwksRoute } from './auth/jwks-route.js';

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
  /** Renders the Prometheus exposition for GET /metrics; absent means no /metrics route. */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
  /** Identity and policy for /v2 and GET /token; absent means none (`serve --no-auth`, module tests). */
  access?: AccessControl;
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
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  await app.register(healthRoutes, {
    blobs: deps.blobs,
    metadata: deps.metadata,
    renderMetrics: deps.renderMetrics,
    ...(deps.scannerHealth ? { scanners: deps.scannerHealth } : {}),
  });
  if (deps.admin) await app.register(adminRoutes, deps.admin);
  if (deps.access) await app.register(tokenRoute, { access: deps.access });
  if (deps.access) await app.register(jwksRoute, { keys: deps.access.deps.tokens });
  await app.register(ociRoutes, {
    prefix: '/v2',
    blobs: deps.blobs,
    metadata: deps.metadata,
    config: deps.config,
    metrics: deps.metrics ?? noMetrics,
    gatekeeper: deps.gatekeeper ?? openGatekeeper,
    ...(deps.access ? { access: deps.access } : {}),
  });
  return app;
}
