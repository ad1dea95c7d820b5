// Blob uploads: POST /v2/<name>/blobs/uploads/ (start, monolithic, mount) and
// GET/PATCH/PUT/DELETE /v2/<name>/blobs/uploads/<id>.
import type { FastifyReply } from 'fastify';
import type { BlobInfo } from '../../ports/blob-store.js';
import { uploadedRange, type UploadProgress } from '../../registry/uploads.js';
import type { HandlerTable, OciServices } from './index.js';
import { parseContentRange } from './ranges.js';
import { blobLocation, hasBody, queryValue, requireDigest, uploadLocation } from './request-helpers.js';

function created(reply: FastifyReply, name: string, info: BlobInfo): FastifyReply {
  return reply
    .code(201)
    .headers({ location: blobLocation(name, info.digest), 'docker-content-digest': info.digest, 'content-length': '0' })
    .send();
}

function inProgress(reply: FastifyReply, name: string, progress: UploadProgress, status: 202 | 204): FastifyReply {
  return reply
    .code(status)
    .headers({
      location: uploadLocation(name, progress.id),
      range: uploadedRange(progress.size),
      'docker-upload-uuid': progress.id,
      'content-length': '0',
    })
    .send();
}

export function uploadHandlers(services: OciServices): HandlerTable {
  const { uploads } = services;
  return {
    uploads: {
      POST: async ({ name }, request, reply) => {
        const mount = queryValue(request, 'mount');
        if (mount !== undefined) {
          const mounted = await uploads.mount(name, requireDigest(mount, 'mount'), queryValue(request, 'from'));
          if (mounted) return created(reply, name, mounted);
        }
        const digest = queryValue(request, 'digest');
        if (digest !== undefined && mount === undefined) {
          return created(reply, name, await uploads.monolithic(name, requireDigest(digest, 'digest'), request.raw));
        }
        return inProgress(reply, name, await uploads.start(name), 202);
      },
    },
    upload: {
      GET: async ({ name, id }, _request, reply) => inProgress(reply, name, await uploads.status(name, id), 204),
      PATCH: async ({ name, id }, request, reply) => {
        const range = parseContentRange(request.headers['content-range']);
        return inProgress(reply, name, await uploads.append(name, id, request.raw, range), 202);
      },
      PUT: async ({ name, id }, request, reply) => {
        const digest = requireDigest(queryValue(request, 'digest'), 'digest');
        const range = parseContentRange(request.headers['content-range']);
        const body = hasBody(request) ? request.raw : undefined;
        return created(reply, name, await uploads.finish(name, id, digest, body, range));
      },
      DELETE: async ({ name, id }, _request, reply) => {
        await uploads.cancel(name, id);
        return reply.code(204).header('content-length', '0').send();
      },
    },
  };
}
