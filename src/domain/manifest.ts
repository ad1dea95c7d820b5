// Parsing a pushed manifest into what the registry must check and record: its media type,
// the blobs and child manifests it references, its subject and its artifact type. The
// shapes follow image-spec (manifest.md, image-index.md) and Docker's schema 2.
import { z } from 'zod';
import { isDigest, type Digest } from './digest.js';
import { manifestInvalid } from './errors.js';
import {
  bareMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isNonDistributable,
  type ManifestMediaType,
} from './media-types.js';

const digestString = z.string().refine(isDigest, 'not a supported digest (sha256 or sha512)');

const descriptor = z
  .object({
    mediaType: z.string().min(1),
    digest: digestString,
    size: z.number().int().nonnegative(),
    urls: z.array(z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    artifactType: z.string().optional(),
    platform: z.unknown().optional(),
    data: z.string().optional(),
  })
  .loose();

const annotations = z.record(z.string(), z.string()).optional();

const imageManifest = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: descriptor,
    layers: z.array(descriptor),
    subject: descriptor.optional(),
    annotations,
  })
  .loose();

const imageIndex = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    manifests: z.array(descriptor),
    subject: descriptor.optional(),
    annotations,
  })
  .loose();

export interface ParsedManifest {
  mediaType: ManifestMediaType;
  /** Whether references[0] is the image config (image manifests) rather than a layer. */
  hasConfig: boolean;
  /** Blobs (config, layers) or child manifests that must already be in the repository. */
  references: { digest: Digest; kind: 'blob' | 'manifest' }[];
  subject: Digest | null;
  /** For referrers: artifactType, or the config media type of an image manifest. */
  artifactType: string | null;
  annotations: Record<string, string> | null;
}

/**
 * Decides the media type from the manifest's own `mediaType` field and the request's
 * Content-Type: they must agree when both are given (image-spec requires it for OCI types).
 */
function resolveMediaType(declared: unknown, contentType: string | undefined): ManifestMediaType {
  const header = bareMediaType(contentType);
  const field = typeof declared === 'string' ? declared : undefined;
  if (field !== undefined && header !== undefined && field !== header && header !== 'application/json') {
    throw manifestInvalid(`mediaType ${field} does not match Content-Type ${header}`);
  }
  const chosen = field ?? header;
  if (chosen === undefined) throw manifestInvalid('no mediaType field and no Content-Type');
  if (!isManifestMediaType(chosen)) throw manifestInvalid(`unsupported manifest media type ${chosen}`);
  return chosen;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw manifestInvalid(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw manifestInvalid('not a JSON object');
  const mediaType = resolveMediaType((json as { mediaType?: unknown }).mediaType, contentType);

  if (isIndexMediaType(mediaType)) {
    const parsed = imageIndex.safeParse(json);
    if (!parsed.success) throw manifestInvalid(describeIssues(parsed.error));
    const index = parsed.data;
    return {
      mediaType,
      hasConfig: false,
      references: index.manifests.map((m) => ({ digest: m.digest as Digest, kind: 'manifest' as const })),
      subject: (index.subject?.digest as Digest | undefined) ?? null,
      artifactType: index.artifactType ?? null,
      annotations: index.annotations ?? null,
    };
  }

  const parsed = imageManifest.safeParse(json);
  if (!parsed.success) throw manifestInvalid(describeIssues(parsed.error));
  const manifest = parsed.data;
  const blobs = [manifest.config, ...manifest.layers].filter((d) => !isNonDistributable(d.mediaType, d.urls));
  return {
    mediaType,
    hasConfig: blobs[0] === manifest.config,
    references: blobs.map((d) => ({ digest: d.digest as Digest, kind: 'blob' as const })),
    subject: (manifest.subject?.digest as Digest | undefined) ?? null,
    artifactType: manifest.artifactType ?? manifest.config.mediaType,
    annotations: manifest.annotations ?? null,
  };
}
