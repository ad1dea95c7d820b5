// The /v2/ API (OCI distribution-spec v1.1). One wildcard route hands each request to the
// handler for its endpoint and method; bodies are never parsed by Fastify, so blobs stream
// straight from the socket into the blob store.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';
import { RegistryError } from '../../domain/errors.js';
import type { RegistryMetrics } from '../../observability/metrics.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { Gatekeeper } from '../../quarantine/gatekeeper.js';
import { BlobService } from '../../registry/blobs.js';
import { ListingService } from '../../registry/listings.js';
import { ManifestService } from '../../registry/manifests.js';
import type { RemoteSource } from '../../registry/remote-source.js';
import { UploadService } from '../../registry/uploads.js';
import type { AccessControl } from '../auth/access-control.js';
import { v2Guard } from '../auth/v2-guard.js';
import type { ArtifactGuard } from '../auth/artifact-guard.js';
import type { Events } from '../../ports/event-sink.js';
import { blobHandlers } from './blob-handlers.js';
import { listingHandlers } from './listing-handlers.js';
import { manifestHandlers } from './manifest-handlers.js';
import { parseOciPath, type OciEndpoint } from './paths.js';
import { uploadHandlers } from './upload-handlers.js';

export interface OciRoutesOptions {
  blobs: BlobStore;
  metadata: MetadataStore;
  config: Config;
  metrics: RegistryMetrics;
  gatekeeper: Gatekeeper;
  /** Identity and policy; absent: everyone may do everything (`serve --no-auth`). */
  access?: AccessControl;
  /** Policy and vulnerability gates decided with the artifact in hand; absent: none. */
  guard?: ArtifactGuard;
  /** Pull-through mirrors, consulted on a miss; absent: no remotes. */
  remote?: RemoteSource;
  /** Where push, pull, delete and pull-denied events go; absent: nowhere. */
  events?: Events;
}

export type OciHandler<E extends OciEndpoint = OciEndpoint> = (
  endpoint: E,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>;

/** Handlers per endpoint kind and HTTP method; a missing method is a 405. */
export type HandlerTable = {
  [K in OciEndpoint['kind']]?: Partial<Record<string, OciHandler<Extract<OciEndpoint, { kind: K }>>>>;
};

export const ociRoutes: FastifyPluginAsync<OciRoutesOptions> = async (app, options) => {
  const { blobs, metadata, config, metrics, gatekeeper } = options;
  const remote = options.remote ? { remote: options.remote } : {};
  const services = {
    blobs: new BlobService({ blobs, metadata, gate: gatekeeper, ...remote }),
    uploads: new UploadService({ blobs, metadata, metrics, gatekeeper }),
    manifests: new ManifestService({ blobs, metadata, maxManifestBytes: config.registry.maxManifestBytes, gatekeeper, ...remote }),
    listings: new ListingService({ metadata, maxPageSize: config.registry.maxPageSize, gate: gatekeeper }),
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.events ? { events: options.events } : {}),
  };
  const table: HandlerTable = {
    ...blobHandlers(services),
    ...uploadHandlers(services),
    ...manifestHandlers(services),
    ...listingHandlers(services),
  };

  // Leave every body unread: handlers stream request.raw themselves, with their own caps.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.addHook('onRequest', async (_request, reply) => {
    reply.header('docker-distribution-api-version', 'registry/2.0');
  });
  // Before dispatch: a refused caller gets nothing read or written.
  if (options.access) app.addHook('onRequest', v2Guard(options.access, options.events));
  app.addHook('onResponse', async (request, reply) => {
    const length = Number(reply.getHeader('content-length') ?? 0);
    if (request.method === 'GET' && (reply.statusCode === 200 || reply.statusCode === 206)) metrics.bytesOut(length);
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/',
    exposeHeadRoute: false,
    handler: async (_request, reply) => reply.type('application/json').send({}),
  });

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'],
    url: '/*',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      const endpoint = parseOciPath(path);
      if (!endpoint) throw new RegistryError('UNSUPPORTED', `no such endpoint: /v2/${path}`, { status: 404 });
      if (options.remote && 'name' in endpoint && request.method !== 'GET' && request.method !== 'HEAD' && (await options.remote.mirrors(endpoint.name))) {
        // A mirror holds only what its upstream has: pushes and deletes would shadow it.
        throw new RegistryError('UNSUPPORTED', `${endpoint.name} is a pull-through mirror of a remote registry: it is read-only`, {
          status: 405,
          detail: { name: endpoint.name },
        });
      }
      const handler = table[endpoint.kind]?.[request.method] as OciHandler | undefined;
      if (!handler) {
        throw new RegistryError('UNSUPPORTED', `${request.method} is not supported on this endpoint`, { status: 405 });
      }
      return handler(endpoint, request, reply);
    },
  });
};

export type OciServices = {
  blobs: BlobService;
  uploads: UploadService;
  manifests: ManifestService;
  listings: ListingService;
  guard?: ArtifactGuard;
  events?: Events;
};
