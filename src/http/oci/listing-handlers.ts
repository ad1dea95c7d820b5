// GET /v2/<name>/tags/list, GET /v2/_catalog and GET /v2/<name>/referrers/<digest>.
import type { FastifyReply } from 'fastify';
import { mediaTypes } from '../../domain/media-types.js';
import type { PagedNames } from '../../registry/listings.js';
import type { HandlerTable, OciServices } from './index.js';
import { queryValue, requireDigest } from './request-helpers.js';

/** Adds the spec's `Link: <...?n=&last=>; rel="next"` header when another page may follow (the reports API pages so too). */
export function withNextLink(reply: FastifyReply, path: string, page: Pick<PagedNames, 'next'>): FastifyReply {
  if (page.next) {
    const query = new URLSearchParams({ n: String(page.next.n), last: page.next.last });
    reply.header('link', `<${path}?${query.toString()}>; rel="next"`);
  }
  return reply;
}

export function listingHandlers(services: OciServices): HandlerTable {
  const { listings } = services;
  return {
    tags: {
      GET: async ({ name }, request, reply) => {
        const page = await listings.tags(name, { n: queryValue(request, 'n'), last: queryValue(request, 'last') });
        return withNextLink(reply, `/v2/${name}/tags/list`, page).send({ name, tags: page.names });
      },
    },
    catalog: {
      GET: async (_endpoint, request, reply) => {
        const page = await listings.catalog({ n: queryValue(request, 'n'), last: queryValue(request, 'last') });
        return withNextLink(reply, '/v2/_catalog', page).send({ repositories: page.names });
      },
    },
    referrers: {
      GET: async ({ name, digest }, request, reply) => {
        const artifactType = queryValue(request, 'artifactType');
        const index = await listings.referrers(name, requireDigest(digest, 'path'), artifactType);
        if (artifactType !== undefined) reply.header('oci-filters-applied', 'artifactType');
        // A Buffer keeps Fastify from appending `; charset=utf-8` to the OCI media type.
        return reply.header('content-type', mediaTypes.ociIndex).send(Buffer.from(JSON.stringify(index)));
      },
    },
  };
}
