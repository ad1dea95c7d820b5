// URLs of the file store: `/files/<repository>/-/<path>`. Repository names nest, so GitLab's
// `/-/` separates the name from the path (a repository component can never be `-` alone).
// A URL ending in `/` names a directory: listed by GET, uploaded into by a multipart POST.
//
// Parsed from the raw URL, still percent-encoded, segment by segment: a `%2F` decoded before
// the split would move a slash into a name (`a%2F..%2Fb`), so each segment is decoded alone
// and then checked (src/domain/file-paths.ts).
import { RegistryError } from '../../domain/errors.js';
import { filePathProblem } from '../../domain/file-paths.js';
import { isRepositoryName } from '../../domain/names.js';

export const filesPrefix = '/files/';
const separator = '/-/';

export type FileTarget =
  | { kind: 'file'; repository: string; path: string }
  /** `dir` is `''` for the repository's root, else the directory's path without the final `/`. */
  | { kind: 'directory'; repository: string; dir: string };

function pathInvalid(path: string, reason: string): RegistryError {
  return new RegistryError('FILE_PATH_INVALID', `invalid file path ${JSON.stringify(path)}: ${reason}`, { detail: { path, reason } });
}

/** The repository and file or directory a request URL names (`request.url`: raw, with its query). */
export function parseFileUrl(url: string): FileTarget {
  const rawPath = url.split('?', 1)[0]!;
  const rest = rawPath.startsWith(filesPrefix) ? rawPath.slice(filesPrefix.length) : '';
  const at = rest.indexOf(separator);
  if (at <= 0) {
    throw new RegistryError('UNSUPPORTED', `no such endpoint: ${rawPath} (expected ${filesPrefix}<repository>/-/<path>)`, { status: 404 });
  }
  const repository = rest.slice(0, at);
  if (!isRepositoryName(repository)) throw new RegistryError('NAME_INVALID', `invalid repository name: ${repository}`, { detail: { name: repository } });
  const encoded = rest.slice(at + separator.length);
  if (encoded === '') return { kind: 'directory', repository, dir: '' };
  const directory = encoded.endsWith('/');
  const segments = decodeSegments(directory ? encoded.slice(0, -1) : encoded);
  const problem = filePathProblem(segments);
  if (problem !== undefined) throw pathInvalid(encoded, problem);
  const path = segments.join('/');
  return directory ? { kind: 'directory', repository, dir: path } : { kind: 'file', repository, path };
}

function decodeSegments(encoded: string): string[] {
  return encoded.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw pathInvalid(encoded, `malformed percent-encoding in ${JSON.stringify(segment)}`);
    }
  });
}

/** The URL of a file or directory, each segment percent-encoded. */
export function fileUrl(repository: string, path: string): string {
  return `${filesPrefix}${repository}${separator}${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The path prefix a directory lists under: `dir/`, or nothing for the root. */
export function directoryPrefix(dir: string): string {
  return dir === '' ? '' : `${dir}/`;
}
