// A signed vulnerability report as an OCI referrer of the image it is about (image-spec 1.1,
// "artifacts" guidance): an image manifest with
//   artifactType  application/vnd.scangate.vulnerability-report.v1+json
//   config        the empty descriptor (application/vnd.oci.empty.v1+json, `{}`)
//   layers        the report's canonical JSON, then its JWS (application/jose)
//   subject       the scanned image manifest
//   annotations   scanner, versions, database date, creation time, the report's id and MIME type
// Everything in it comes from the stored report, so the same report always gives the same
// bytes and digest: storing it again (a retried job) changes nothing. Pure.
import { digestBytes, type Digest } from '../domain/digest.js';
import { mediaTypes } from '../domain/media-types.js';
import type { ManifestRecord } from '../ports/metadata-store.js';
import type { ReportSignature } from '../ports/vulnerability-report-store.js';
import { canonicalReportBytes, type ScannedReport } from './report-statement.js';

export const reportArtifactType = 'application/vnd.scangate.vulnerability-report.v1+json';
/** RFC 7515 §9.2.1: a JWS in compact serialization. */
export const jwsMediaType = 'application/jose';

export const reportAnnotations = {
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  reportId: 'io.scangate.report.id',
  mimeType: 'io.scangate.report.mime-type',
  scanner: 'io.scangate.report.scanner',
  scannerName: 'io.scangate.report.scanner.name',
  scannerVersion: 'io.scangate.report.scanner.version',
  databaseUpdatedAt: 'io.scangate.report.scanner.database-updated-at',
} as const;

const emptyConfig = Buffer.from('{}');

export interface ReferrerBlob {
  digest: Digest;
  bytes: Buffer;
}

export interface ReportReferrer {
  /** The blobs the manifest names, to be stored first: the empty config, the report, the JWS. */
  blobs: ReferrerBlob[];
  manifest: Buffer;
  digest: Digest;
}

/** Whether a manifest is shaped as a report referrer (anyone could push one: see isReportReferrer in the store). */
export function isReportArtifact(manifest: Pick<ManifestRecord, 'artifactType'>): boolean {
  return manifest.artifactType === reportArtifactType;
}

export function reportReferrer(report: ScannedReport & { id: string; signature: ReportSignature }, subject: Pick<ManifestRecord, 'mediaType' | 'digest' | 'size'>): ReportReferrer {
  const blob = (bytes: Buffer): ReferrerBlob => ({ digest: digestBytes(bytes), bytes });
  const config = blob(emptyConfig);
  const body = blob(canonicalReportBytes(report.report));
  const jws = blob(Buffer.from(report.signature.jws, 'utf8'));
  const info = report.scannerInfo;
  const annotations: Record<string, string> = {
    [reportAnnotations.created]: report.createdAt.toISOString(),
    [reportAnnotations.reportId]: report.id,
    [reportAnnotations.mimeType]: report.mimeType,
    [reportAnnotations.scanner]: report.scanner,
    ...(info.name !== null ? { [reportAnnotations.scannerName]: info.name } : {}),
    ...(info.version !== null ? { [reportAnnotations.scannerVersion]: info.version } : {}),
    ...(info.dbUpdatedAt !== null ? { [reportAnnotations.databaseUpdatedAt]: info.dbUpdatedAt.toISOString() } : {}),
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      artifactType: reportArtifactType,
      config: { mediaType: mediaTypes.ociEmpty, digest: config.digest, size: config.bytes.length, data: config.bytes.toString('base64') },
      layers: [
        { mediaType: reportArtifactType, digest: body.digest, size: body.bytes.length, annotations: { [reportAnnotations.title]: 'report.json', [reportAnnotations.mimeType]: report.mimeType } },
        { mediaType: jwsMediaType, digest: jws.digest, size: jws.bytes.length, annotations: { [reportAnnotations.title]: 'report.jws' } },
      ],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    }),
  );
  return { blobs: [config, body, jws], manifest, digest: digestBytes(manifest) };
}
