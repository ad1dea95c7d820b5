// Harbor's Pluggable Scanner Adapter API v1.0, v1.1 and v1.2 (the OpenAPI files in
// ../shared/specs/): its media types and zod schemas of what an adapter answers. The schemas
// accept what the spec allows and a little more (unknown keys, any severity word), and refuse
// what scangate could not use; whatever fails them is an adapter's garbage, never a crash.
import { z } from 'zod';

export const mediaTypes = {
  metadata10: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  metadata11: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  scanRequest10: 'application/vnd.scanner.adapter.scan.request+json; version=1.0',
  scanRequest11: 'application/vnd.scanner.adapter.scan.request+json; version=1.1',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
  /** The vulnerability reports scangate reads, the one it prefers first. */
  report11: 'application/vnd.security.vulnerability.report; version=1.1',
  report10: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
} as const;

/** Report MIME types scangate understands, in order of preference. */
export const readableReportTypes: readonly string[] = [mediaTypes.report11, mediaTypes.report10];

/** The image manifests an adapter is asked to scan (index children are scanned one by one). */
export const scannableArtifactTypes: readonly string[] = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];

const scannerInfo = z.looseObject({ name: z.string().optional(), vendor: z.string().optional(), version: z.string().optional() });

export const metadataSchema = z.looseObject({
  scanner: scannerInfo,
  capabilities: z
    .array(
      z.looseObject({
        /** v1.2: `vulnerability` or `sbom`; absent means vulnerability. */
        type: z.string().optional(),
        consumes_mime_types: z.array(z.string()),
        produces_mime_types: z.array(z.string()),
      }),
    )
    .min(1),
  properties: z.record(z.string(), z.string()).optional(),
});
export type AdapterMetadataBody = z.infer<typeof metadataSchema>;

export const scanResponseSchema = z.looseObject({ id: z.string().min(1) });

const vulnerabilityItem = z.looseObject({
  id: z.string().min(1),
  package: z.string().optional(),
  version: z.string().optional(),
  fix_version: z.string().optional(),
  // Any word: severityFromScanner maps it, an unknown one fails closed (critical).
  severity: z.string().optional(),
});

export const reportSchema = z.looseObject({
  generated_at: z.string().optional(),
  scanner: scannerInfo.optional(),
  severity: z.string().optional(),
  vulnerabilities: z.array(vulnerabilityItem).nullable().optional(),
});
export type HarborReport = z.infer<typeof reportSchema>;

export const errorSchema = z.looseObject({ error: z.looseObject({ message: z.string().optional() }).optional() });

/** The body of POST /scan (the spec's ScanRequest). */
export interface ScanRequestBody {
  registry: { url: string; authorization?: string };
  artifact: { repository: string; digest: string; mime_type: string; tag?: string };
  enabled_capabilities?: { type: 'vulnerability'; produces_mime_types: string[] }[];
}

/** The key of the adapter's /metadata properties that dates its vulnerability database. */
export const dbUpdatedAtProperty = 'harbor.scanner-adapter/vulnerability-database-updated-at';
