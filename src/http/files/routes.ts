// The file store's HTTP API, beside /v2/: plain files (packages, VM images, tarballs) under
// `/files/<repository>/-/<path>`, content-addressed in the blob store, gated by the same
// quarantine and decided by the same policy as images. See docs/files.md.
//
// One wildcard route: the caller is identified first, then the URL is parsed (a file, or a
// directory when it ends in `/`), the repository-level rule decided, and the handler for
// that kind and method called. Bodies are never parsed by Fastify: a PUT streams
// request.raw, a multipart POST streams its file part.
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/schema.js';
import { RegistryError } from '../../domain/errors.js';
import type { RegistryMetrics } from '../../observability/metrics.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { FileStore } from '../../ports/file-store.js';
import type { PropertyStore } from '../../ports/property-store.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { Gatekeeper } from '../../quarantine/gatekeeper.js';
import type { FileRemoteSource } from '../../registry/file-remote-source.js';
import { FileService } from '../../registry/files.js';
import type { AccessControl } from '../auth/access-control.js';
import type { RepositoryAction } from '../auth/actions.js';
import { FileAccess, type AdmittedCaller } from './access.js';
import { deleteFile, getFile, headFile, listDirectory } from './entry-handlers.js';
import { filesPrefix, parseFileUrl, type FileTarget } from './paths.js';
import { postFileForm, putFile } from './upload-handlers.js';
import { newEvent } from '../../domain/events.js';
import type { Events } from '../../ports/event-sink.js';
import type { FileRecord } from '../../ports/file-store.js';
import { requestActor } from '../auth/request-actor.js';

export interface FileRoutesOptions {
  blobs: BlobStore;
  files: FileStore;
  gatekeeper: Gatekeeper;
  /** Scan states shown in answers and listings. */
  states: Pick<QuarantineStore, 'getStates'>;
  config: Config;
  metrics: RegistryMetrics;
  /** Makes committed writes durable before the answer (MetadataStore.sync). */
  sync: () => Promise<void>;
  /** Identity and policy; absent: everyone may do everything (`serve --no-auth`). */
  access?: AccessControl;
  /** File remotes, mirrored under their names (read-only); absent: none. */
  remote?: FileRemoteSource;
  /** Files' properties, which rules over the file read; absent: files have none. */
  properties?: Pick<PropertyStore, 'list'>;
  /** Where pushed, pulled and deleted events go; absent: nowhere. */
  events?: Events;
}

export interface FileHandlerContext {
  service: FileService;
  access: FileAccess;
  /** Emits the artifact event of a file (`path` set, no tags) once the operation succeeded. */
  emitFileEvent(request: FastifyRequest, file: FileRecord, event: 'pushed' | 'pulled' | 'deleted'): Promise<void>;
}

export type FileHandler<K extends FileTarget['kind']> = (
  target: Extract<FileTarget, { kind: K }>,
  admitted: AdmittedCaller,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>;

const actions: Record<string, RepositoryAction> = { GET: 'pull', HEAD: 'pull', PUT: 'push', POST: 'push', DELETE: 'delete' };

export const fileRoutes: FastifyPluginAsync<FileRoutesOptions> = async (app, options) => {
  const context: FileHandlerContext = {
    service: new FileService({
      blobs: options.blobs,
      files: options.files,
      gatekeeper: options.gatekeeper,
      states: options.states,
      metrics: options.metrics,
      maxPageSize: options.config.registry.maxPageSize,
      sync: options.sync,
      ...(options.remote ? { remote: options.remote } : {}),
    }),
    access: new FileAccess(options.access, options.properties),
    async emitFileEvent(request, file, event) {
      const events = options.events;
      if (!events) return;
      const subject = { repository: file.repository, digest: file.digest, tag: null, actor: await requestActor(request) };
      const path = file.path;
      if (event === 'pushed') events.emit(newEvent('artifact.pushed', subject, { mediaType: file.mediaType, size: file.size, tags: [], path }));
      else if (event === 'pulled') events.emit(newEvent('artifact.pulled', subject, { mediaType: file.mediaType, path }));
      else events.emit(newEvent('artifact.deleted', subject, { deleted: 'file', path }));
    },
  };
  const handlers: { file: Partial<Record<string, FileHandler<'file'>>>; directory: Partial<Record<string, FileHandler<'directory'>>> } = {
    file: { GET: getFile(context), HEAD: headFile(context), PUT: putFile(context), DELETE: deleteFile(context) },
    directory: { GET: listDirectory(context), HEAD: listDirectory(context), POST: postFileForm(context) },
  };

  // Leave every body unread (handlers stream it); multipart bodies are read part by part.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  // No size cap on a file part: it streams to the blob store. One file per form.
  await app.register(multipart, { limits: { fileSize: Number.POSITIVE_INFINITY, files: 1, parts: 32, fields: 16 } });

  app.addHook('onResponse', async (request, reply) => {
    const length = Number(reply.getHeader('content-length') ?? 0);
    if (request.method === 'GET' && (reply.statusCode === 200 || reply.statusCode === 206)) options.metrics.bytesOut(length);
  });

  /** The handler for the method on this kind of URL, bound to the target; undefined: 405. */
  function handlerFor(target: FileTarget, method: string): BoundHandler | undefined {
    if (target.kind === 'file') {
      const handler = handlers.file[method];
      return handler && ((admitted, request, reply) => handler(target, admitted, request, reply));
    }
    const handler = handlers.directory[method];
    return handler && ((admitted, request, reply) => handler(target, admitted, request, reply));
  }

  app.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
    url: `${filesPrefix}*`,
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const action = actions[request.method]!;
      const caller = await context.access.identify(request, action);
      const target = parseFileUrl(request.url);
      const handler = handlerFor(target, request.method);
      if (!handler) throw methodNotAllowed(request.method, target.kind, Object.keys(handlers[target.kind]));
      // GET, HEAD and DELETE decide a rule that reads the file with the file in hand; an
      // upload has none yet, so its rule is decided now, over the repository.
      const onFile = target.kind === 'file' && request.method !== 'PUT';
      return handler(await context.access.admit(request, caller, action, target.repository, onFile), request, reply);
    },
  });
};

type BoundHandler = (admitted: AdmittedCaller, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

function methodNotAllowed(method: string, kind: FileTarget['kind'], allowed: string[]): RegistryError {
  const hint = kind === 'file' ? 'a form is POSTed to a directory: end the URL with /' : 'a file\'s URL does not end with /';
  return new RegistryError('UNSUPPORTED', `${method} is not supported on a ${kind} URL (${hint})`, {
    status: 405,
    headers: { allow: allowed.join(', ') },
    detail: { allowed },
  });
}
