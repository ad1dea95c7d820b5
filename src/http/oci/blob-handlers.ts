// GET/HEAD/DELETE /v2/<name>/blobs/<digest>, with single byte ranges on GET.
import type { HandlerTable, OciServices } from './index.js';
import { parseRangeHeader } from './ranges.js';
import { sendBlobRead } from './send-blob.js';
import { requireDigest } from './request-helpers.js';

export function blobHandlers(services: OciServices): HandlerTable {
  return {
    blob: {
      HEAD: async ({ name, digest }, _request, reply) => {
        const info = await services.blobs.stat(name, requireDigest(digest, 'path'));
        return reply
          .headers({
            'content-length': String(info.size),
            'content-type': 'application/octet-stream',
            'docker-content-digest': info.digest,
            'accept-ranges': 'bytes',
            etag: `"${info.digest}"`,
          })
          .send();
      },
      GET: async ({ name, digest }, request, reply) => {
        const checked = requireDigest(digest, 'path');
        const { guard } = services;
        const read = await services.blobs.openRead(
          name,
          checked,
          (size) => parseRangeHeader(request.headers.range, size),
          guard && (() => guard.checkBlob(request, 'pull', name, checked)),
        );
        reply.headers({
          'content-type': 'application/octet-stream',
          'docker-content-digest': read.info.digest,
          'accept-ranges': 'bytes',
          etag: `"${read.info.digest}"`,
        });
        return sendBlobRead(reply, read);
      },
      DELETE: async ({ name, digest }, request, reply) => {
        const checked = requireDigest(digest, 'path');
        const { guard } = services;
        await services.blobs.delete(name, checked, guard && (() => guard.checkBlob(request, 'delete', name, checked)));
        return reply.code(202).header('content-length', '0').send();
      },
    },
  };
}
