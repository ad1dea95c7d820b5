// What is done to entries that exist: `GET`/`HEAD /files/<repository>/-/<path>` (the bytes,
// whole or one `Range`), `GET /files/<repository>/-/<dir>/` (a page of entries,
// `?prefix=&n=&last=` as the tags list pages), and `DELETE` of a file's entry. HEAD answers
// what GET would: it is gated like GET, so a client that checks first is never told "here"
// for a file it cannot have yet.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RegistryError } from '../../domain/errors.js';
import type { FileRecord } from '../../ports/file-store.js';
import type { AuthorizeFile } from '../../registry/files.js';
import { parseRangeHeader } from '../oci/ranges.js';
import { sendBlobRead } from '../oci/send-blob.js';
import type { AdmittedCaller } from './access.js';
import { directoryPrefix, fileUrl } from './paths.js';
import { listedFileJson, setFileHeaders } from './responses.js';
import type { FileHandler, FileHandlerContext } from './routes.js';

/** The policy's decision with the file in hand, when the rule reads the artifact. */
function authorizeFor(context: FileHandlerContext, request: FastifyRequest, admitted: AdmittedCaller): AuthorizeFile {
  return (file: FileRecord) => context.access.checkFile(request, admitted, file, () => context.service.scanState(file.digest));
}

export function getFile(context: FileHandlerContext): FileHandler<'file'> {
  return async (target, admitted, request, reply) => {
    const { file, lease } = await context.service.resolveRead(target.repository, target.path, authorizeFor(context, request, admitted));
    let range;
    try {
      range = parseRangeHeader(request.headers.range, file.size);
    } catch (err) {
      await lease?.release();
      throw err;
    }
    setFileHeaders(reply, file, range === undefined);
    const read = await context.service.openRead(file, range, lease);
    await context.emitFileEvent(request, file, 'pulled');
    return sendBlobRead(reply, read);
  };
}

export function headFile(context: FileHandlerContext): FileHandler<'file'> {
  return async (target, admitted, request, reply) => {
    const { file, lease } = await context.service.resolveRead(target.repository, target.path, authorizeFor(context, request, admitted));
    await lease?.release();
    return setFileHeaders(reply, file, true).header('content-length', String(file.size)).send();
  };
}

export function deleteFile(context: FileHandlerContext): FileHandler<'file'> {
  return async (target, admitted, request, reply) => {
    const deleted = await context.service.delete(target.repository, target.path, authorizeFor(context, request, admitted));
    await context.emitFileEvent(request, deleted, 'deleted');
    return reply.code(204).send();
  };
}

const listQuery = z.object({
  // '' means "the default", as for the tags list.
  n: z
    .string()
    .regex(/^\d*$/)
    .transform((n) => (n === '' ? undefined : Number(n)))
    .optional(),
  last: z.string().optional(),
  prefix: z.string().optional(),
});

function parseListQuery(query: unknown): z.infer<typeof listQuery> {
  const parsed = listQuery.safeParse(query);
  if (parsed.success) return parsed.data;
  const key = String(parsed.error.issues[0]?.path[0] ?? 'query');
  const value = (query as Record<string, unknown>)[key];
  if (key === 'n') throw new RegistryError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer, got ${JSON.stringify(value)}`, { detail: { n: value } });
  throw new RegistryError('UNSUPPORTED', `query parameter ${key} must be given once, as text`, { status: 400, detail: { [key]: value } });
}

export function listDirectory(context: FileHandlerContext): FileHandler<'directory'> {
  return async (target, _admitted, request, reply) => {
    const query = parseListQuery(request.query);
    const listing = await context.service.list(target.repository, {
      prefix: `${directoryPrefix(target.dir)}${query.prefix ?? ''}`,
      ...(query.n !== undefined ? { n: query.n } : {}),
      ...(query.last !== undefined ? { last: query.last } : {}),
    });
    if (listing.next) {
      const next = new URLSearchParams({ n: String(listing.next.n), last: listing.next.last, ...(query.prefix ? { prefix: query.prefix } : {}) });
      reply.header('link', `<${fileUrl(target.repository, directoryPrefix(target.dir))}?${next.toString()}>; rel="next"`);
    }
    return reply.send({ files: listing.files.map(listedFileJson) });
  };
}
