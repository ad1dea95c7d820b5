// Uploads: `PUT /files/<repository>/-/<path>` with the raw bytes as the body, and
// `POST /files/<repository>/-/<dir>/` with multipart/form-data (a browser's form, `curl -F
// file=@x`), the file in a field named `file` and named by its filename. Both stream into
// the blob store as they arrive, never buffered whole. The answer is 201 when the file may
// be downloaded now, 202 while its scan is still pending, 403 DENIED when it was refused.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import { RegistryError } from '../../domain/errors.js';
import { filePathProblem } from '../../domain/file-paths.js';
import type { StoredFile } from '../../registry/files.js';
import { expectedDigest } from './digest-headers.js';
import { directoryPrefix, fileUrl, type FileTarget } from './paths.js';
import { defaultMediaType, fileJson, isMediaType } from './responses.js';
import type { FileHandler, FileHandlerContext } from './routes.js';

function answerStored(reply: FastifyReply, stored: StoredFile): FastifyReply {
  const { file } = stored;
  return reply
    .code(stored.servable ? 201 : 202)
    .headers({ location: fileUrl(file.repository, file.path), etag: `"${file.digest}"` })
    .send(fileJson(file, stored.scanState));
}

function badForm(message: string, cause?: unknown): RegistryError {
  return new RegistryError('UNSUPPORTED', message, { status: 400, cause });
}

export function putFile(context: FileHandlerContext): FileHandler<'file'> {
  return async (target, _admitted, request, reply) => {
    const header = request.headers['content-type']?.trim();
    if (header !== undefined && !isMediaType(header)) {
      throw new RegistryError('UNSUPPORTED', `Content-Type ${JSON.stringify(header)} is not a media type such as application/gzip`, { status: 400 });
    }
    const expected = expectedDigest(request.query, request.headers);
    const stored = await context.service.upload({
      repository: target.repository,
      path: target.path,
      body: request.raw,
      mediaType: header ?? defaultMediaType,
      ...(expected ? { expected } : {}),
    });
    await context.emitFileEvent(request, stored.file, 'pushed');
    return answerStored(reply, stored);
  };
}

export function postFileForm(context: FileHandlerContext): FileHandler<'directory'> {
  return async (target, _admitted, request, reply) => {
    const part = await fileFieldOf(request);
    const path = pathInDirectory(target, part.filename);
    // The headers describe the whole form, not the file: only `?sha256=` names its digest.
    const expected = expectedDigest(request.query, undefined);
    const stored = await context.service.upload({
      repository: target.repository,
      path,
      body: malformedAsBadRequest(part.file),
      mediaType: isMediaType(part.mimetype) ? part.mimetype : defaultMediaType,
      ...(expected ? { expected } : {}),
    });
    await context.emitFileEvent(request, stored.file, 'pushed');
    return answerStored(reply, stored);
  };
}

/** The form's first file, which must be the field `file`. */
async function fileFieldOf(request: FastifyRequest): Promise<MultipartFile> {
  if (!request.isMultipart()) {
    throw new RegistryError('UNSUPPORTED', 'a POST to a directory takes multipart/form-data with the file in a field named "file" (a PUT to the file\'s own URL takes the raw bytes)', { status: 415 });
  }
  let part: MultipartFile | undefined;
  try {
    part = await request.file();
  } catch (error) {
    // The plugin's own errors carry their 4xx; a parser failure is the form's fault.
    if ((error as { statusCode?: number }).statusCode !== undefined) throw error;
    throw badForm(`malformed multipart/form-data body: ${(error as Error).message}`, error);
  }
  if (!part) throw badForm('the form holds no file: send it in a field named "file"');
  if (part.fieldname !== 'file') throw badForm(`the form's file is in the field ${JSON.stringify(part.fieldname)}: name the field "file"`);
  return part;
}

/** `<dir>/<filename>`; a client that sent a path as the filename (old browsers) gets its last segment. */
function pathInDirectory(target: Extract<FileTarget, { kind: 'directory' }>, filename: string): string {
  const name = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const path = `${directoryPrefix(target.dir)}${name}`;
  const problem = filePathProblem(path.split('/'));
  if (problem !== undefined) {
    throw new RegistryError('FILE_PATH_INVALID', `invalid file name ${JSON.stringify(filename)}: ${problem}`, { detail: { filename, reason: problem } });
  }
  return path;
}

/** The file part's bytes; a form that breaks off or is malformed is a 400, not our failure. */
async function* malformedAsBadRequest(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    throw badForm(`malformed multipart/form-data body: ${(error as Error).message}`, error);
  }
}
