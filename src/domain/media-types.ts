// The manifest media types scangate accepts, and the few other types it must recognise.

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export type ManifestMediaType =
  | typeof mediaTypes.ociManifest
  | typeof mediaTypes.ociIndex
  | typeof mediaTypes.dockerManifest
  | typeof mediaTypes.dockerManifestList;

export const manifestMediaTypes: readonly ManifestMediaType[] = [
  mediaTypes.ociManifest,
  mediaTypes.ociIndex,
  mediaTypes.dockerManifest,
  mediaTypes.dockerManifestList,
];

export function isManifestMediaType(value: string): value is ManifestMediaType {
  return (manifestMediaTypes as readonly string[]).includes(value);
}

export function isIndexMediaType(value: ManifestMediaType): boolean {
  return value === mediaTypes.ociIndex || value === mediaTypes.dockerManifestList;
}

/**
 * Layers that registries need not hold: Docker's "foreign" layers and any descriptor that
 * names external `urls` (image-spec: non-distributable content).
 */
export function isNonDistributable(mediaType: string, urls: unknown): boolean {
  return (
    mediaType.includes('.foreign.') ||
    mediaType.includes('.nondistributable.') ||
    (Array.isArray(urls) && urls.length > 0)
  );
}

/** The media type without parameters (`application/json; charset=utf-8` -> `application/json`). */
export function bareMediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bare = value.split(';')[0]!.trim().toLowerCase();
  return bare.length > 0 ? bare : undefined;
}

/** What a file is sent as when nothing better is known. */
export const defaultMediaType = 'application/octet-stream';

// type/subtype with optional parameters, and nothing a header cannot carry.
const mediaTypeShape = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[\x20-\x7e]*)?$/;

/** Whether `value` can be kept as a file's media type and sent back as Content-Type. */
export function isMediaType(value: string): boolean {
  return value.length <= 255 && mediaTypeShape.test(value);
}
