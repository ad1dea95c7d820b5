// URLs of the properties API:
//   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/properties      an artifact's
//   /api/v1/repositories/<name>/-/files/<path>/properties                 a file's
// Repository names nest and so do file paths, so a file's URL separates them with `/-/` as
// the file store does (/files/<name>/-/<path>): a repository component is never `-`, and a
// tag or digest holds no `/`, so the two shapes cannot be mistaken for each other.
import { isDigest } from '../../domain/digest.js';
import { RegistryError, manifestUnknown } from '../../domain/errors.js';
import { isRepositoryName, isTag } from '../../domain/names.js';
import { filesPrefix, parseFileUrl } from '../files/paths.js';

export const propertiesPrefix = '/api/v1/repositories/';

export type PropertiesPath =
  | { kind: 'artifact'; repository: string; reference: string }
  | { kind: 'file'; repository: string; path: string };

const suffix = '/properties';
const fileMarker = '/-/files/';

function noSuchEndpoint(rest: string): RegistryError {
  const expected = `${propertiesPrefix}<name>/artifacts/<tag-or-digest>/properties or ${propertiesPrefix}<name>/-/files/<path>/properties`;
  return new RegistryError('UNSUPPORTED', `no such endpoint: ${propertiesPrefix}${rest} (expected ${expected})`, { status: 404 });
}

/**
 * What a properties URL names. `url` is the request's raw URL (a file's path is decoded
 * segment by segment, as the file store decodes it); `decoded` is the decoded rest after
 * the prefix (an artifact's reference may come with its `:` percent-encoded).
 */
export function parsePropertiesPath(url: string, decoded: string): PropertiesPath {
  const raw = url.split('?', 1)[0]!.slice(propertiesPrefix.length);
  return raw.includes('/-/') ? parseFilePath(raw) : parseArtifactPath(decoded);
}

function parseFilePath(raw: string): PropertiesPath {
  const at = raw.indexOf('/-/');
  if (!raw.startsWith(fileMarker, at) || !raw.endsWith(suffix) || raw.length <= at + fileMarker.length + suffix.length) throw noSuchEndpoint(raw);
  const encodedPath = raw.slice(at + fileMarker.length, raw.length - suffix.length);
  // The file store's own parser: the same names, the same checks, the same errors.
  const target = parseFileUrl(`${filesPrefix}${raw.slice(0, at)}/-/${encodedPath}`);
  if (target.kind !== 'file') {
    throw new RegistryError('FILE_PATH_INVALID', `${encodedPath} names a directory: properties are set on files`, { detail: { path: encodedPath } });
  }
  return { kind: 'file', repository: target.repository, path: target.path };
}

/** `<name>/artifacts/<reference>/properties`; names nest, so the reference is found from the end. */
function parseArtifactPath(rest: string): PropertiesPath {
  const at = rest.lastIndexOf('/artifacts/');
  if (!rest.endsWith(suffix) || at <= 0) throw noSuchEndpoint(rest);
  return { kind: 'artifact', ...checkedArtifact(rest.slice(0, at), rest.slice(at + '/artifacts/'.length, rest.length - suffix.length)) };
}

/** A repository name and a tag or digest from an artifact URL (the reports API's too), checked. */
export function checkedArtifact(repository: string, reference: string): { repository: string; reference: string } {
  if (!isRepositoryName(repository)) throw new RegistryError('NAME_INVALID', `invalid repository name: ${repository}`, { detail: { name: repository } });
  if (!isDigest(reference) && !isTag(reference)) throw manifestUnknown(reference);
  return { repository, reference };
}
