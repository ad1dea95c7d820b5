// What the file store answers: the headers of a download (type, ETag, digests, name, date)
// and the JSON of an entry.
import type { FastifyReply } from 'fastify';
import { fileNameOf } from '../../domain/file-paths.js';
import type { FileRecord } from '../../ports/file-store.js';
import type { FileScanState, ListedFile } from '../../registry/files.js';
import type { UpstreamListedFile } from '../../registry/upstream-listing.js';
import { sha256Field } from './digest-headers.js';

export { defaultMediaType, isMediaType } from '../../domain/media-types.js';

/** RFC 8187 value characters: anything else is percent-encoded. */
function encodeExtValue(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<name>`: the original name for
 * clients that read RFC 6266 (browsers, `curl -OJ` reads the plain one).
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

/**
 * The headers of a file's bytes. `Repr-Digest` is always the whole file's; `Content-Digest`
 * describes the content sent, so it goes only with the whole file (a 200 or a HEAD).
 * Uploaded content is anyone's: a browser must neither sniff it into something else nor run
 * it on this origin (an uploaded text/html would otherwise script the dashboard's), so it
 * is sent as an attachment, `nosniff`, in a sandbox.
 */
export function setFileHeaders(reply: FastifyReply, file: FileRecord, whole: boolean): FastifyReply {
  const digestField = sha256Field(file.digest);
  reply.headers({
    'content-type': file.mediaType,
    etag: `"${file.digest}"`,
    'last-modified': file.createdAt.toUTCString(),
    'accept-ranges': 'bytes',
    'content-disposition': contentDisposition(fileNameOf(file.path)),
    'repr-digest': digestField,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  });
  if (whole) reply.header('content-digest', digestField);
  return reply;
}

export interface FileJson {
  path: string;
  digest: string;
  size: number;
  mediaType: string;
  createdAt: string;
  scanState: FileScanState;
}

export function fileJson(file: FileRecord, scanState: FileScanState): FileJson {
  return { path: file.path, digest: file.digest, size: file.size, mediaType: file.mediaType, createdAt: file.createdAt.toISOString(), scanState };
}

/** A listing's entry: a stored file, or one a file remote's manifest lists that is not stored here. */
export function listedFileJson(file: ListedFile | UpstreamListedFile): FileJson | UpstreamListedFile {
  if ('createdAt' in file) return fileJson(file, file.scanState);
  return { path: file.path, digest: file.digest, size: file.size, scanState: file.scanState };
}
