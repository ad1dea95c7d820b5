// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference> (a tag or a digest).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactAction } from '../auth/artifact-guard.js';
import type { Authorize } from '../../registry/manifests.js';
import { isDigest } from '../../domain/digest.js';
import type { ManifestRecord } from '../../ports/metadata-store.js';
import type { HandlerTable, OciServices } from './index.js';
import { queryValues } from './request-helpers.js';
import { newEvent } from '../../domain/events.js';
import { requestActor } from '../auth/request-actor.js';

function manifestHeaders(reply: FastifyReply, record: ManifestRecord): FastifyReply {
  return reply.headers({
    'content-type': record.mediaType,
    'content-length': String(record.size),
    'docker-content-digest': record.digest,
    etag: `"${record.digest}"`,
  });
}

export function manifestHandlers(services: OciServices): HandlerTable {
  const { manifests, guard } = services;
  // Emitted after the operation succeeded, before the answer: an array push (webhook-sink.ts).
  const emit = services.events ? services.events.emit.bind(services.events) : () => {};
  const tagOf = (reference: string) => (isDigest(reference) ? null : reference);
  /** The policy and the vulnerability gate, with the manifest in hand (none: allow). */
  const authorize = (request: FastifyRequest, action: ArtifactAction, name: string, reference: string): Authorize | undefined =>
    guard && ((record) => guard.checkManifest(request, action, name, record, reference));
  return {
    manifest: {
      HEAD: async ({ name, reference }, request, reply) =>
        manifestHeaders(reply, await manifests.resolve(name, reference, authorize(request, 'pull', name, reference))).send(),
      GET: async ({ name, reference }, request, reply) => {
        const { record, bytes } = await manifests.get(name, reference, authorize(request, 'pull', name, reference));
        emit(newEvent('artifact.pulled', { repository: name, digest: record.digest, tag: tagOf(reference), actor: await requestActor(request) }, { mediaType: record.mediaType }));
        return manifestHeaders(reply, record).send(bytes);
      },
      PUT: async ({ name, reference }, request, reply) => {
        const extraTags = queryValues(request, 'tag');
        if (guard) await guard.checkTags(request, name, [...(isDigest(reference) ? [] : [reference]), ...extraTags]);
        const result = await manifests.put({
          repository: name,
          reference,
          body: request.raw,
          contentType: request.headers['content-type'],
          tags: extraTags,
        });
        reply.headers({
          location: `/v2/${name}/manifests/${result.digest}`,
          'docker-content-digest': result.digest,
          'content-length': '0',
        });
        emit(
          newEvent('artifact.pushed', { repository: name, digest: result.digest, tag: result.tags[0] ?? null, actor: await requestActor(request) }, { mediaType: result.mediaType, size: result.size, tags: result.tags }),
        );
        if (result.subject) reply.header('oci-subject', result.subject);
        // distribution-spec (after v1.1.1): each tag applied by `?tag=` is echoed as OCI-Tag.
        if (result.tags.length > 0 && isDigest(reference)) reply.header('oci-tag', result.tags);
        return reply.code(201).send();
      },
      DELETE: async ({ name, reference }, request, reply) => {
        const deleted = await manifests.delete(name, reference, authorize(request, 'delete', name, reference));
        emit(newEvent('artifact.deleted', { repository: name, digest: deleted.digest, tag: tagOf(reference), actor: await requestActor(request) }, { deleted: isDigest(reference) ? 'manifest' : 'tag' }));
        return reply.code(202).header('content-length', '0').send();
      },
    },
  };
}
