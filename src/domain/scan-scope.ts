// What a vulnerability scan campaign covers, and which stored manifests are images to scan.
//
// A scope is written `all`, `namespace:NS` or `repository:R` (config, admin API and CLI alike).
//
// Images to scan: image manifests (OCI or Docker v2) with no `subject` whose artifact type is
// an image config. Referrer artifacts (a signed report, a signature, an SBOM: a `subject`, or an
// `artifactType` of their own) are not images, and an index is not sent either: its children
// are manifests stored in the same repository, walked on their own.
import { isRepositoryName, namespaceOf } from './names.js';
import { mediaTypes } from './media-types.js';

export type ScanScope = { kind: 'all' } | { kind: 'namespace'; namespace: string } | { kind: 'repository'; repository: string };

/** The manifest media types a campaign walks (an adapter scans these, not indexes). */
export const imageManifestMediaTypes: readonly string[] = [mediaTypes.ociManifest, mediaTypes.dockerManifest];

/**
 * The artifact types of images: a manifest records its `artifactType`, else its config's media
 * type, so an image without an artifactType of its own has one of these.
 */
export const imageConfigMediaTypes: readonly string[] = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

export const scanScopeSyntax = 'all, namespace:NAMESPACE or repository:REPOSITORY';

/** The scope, or what is wrong with the text. */
export function parseScanScope(text: string): ScanScope | { error: string } {
  if (text === 'all') return { kind: 'all' };
  const colon = text.indexOf(':');
  const kind = colon === -1 ? text : text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (colon !== -1 && (kind === 'namespace' || kind === 'repository')) {
    if (!isRepositoryName(name)) return { error: `${JSON.stringify(name)} is not a ${kind} name` };
    return kind === 'namespace' ? { kind, namespace: name } : { kind, repository: name };
  }
  return { error: `${JSON.stringify(text)} is not a scope: expected ${scanScopeSyntax}` };
}

export function formatScanScope(scope: ScanScope): string {
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'namespace':
      return `namespace:${scope.namespace}`;
    case 'repository':
      return `repository:${scope.repository}`;
  }
}

/** Whether the repository lies in the scope (a namespace as namespaceOf() decides it). */
export function inScanScope(scope: ScanScope, repository: string): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'repository') return repository === scope.repository;
  return namespaceOf(repository) === scope.namespace;
}
