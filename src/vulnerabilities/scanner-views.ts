// What the admin API shows of a scanner registration, its health and its adapter's metadata.
// Never a secret: an inline password, token or API key is shown as "set".
import type { VulnerabilityScannerConfig } from '../config/vulnerability-scanner-schema.js';
import type { ScannerSource } from '../ports/scanner-registration-store.js';
import type { AdapterMetadata, HarborAdapterClient } from '../scanners/harbor/client.js';
import type { RegisteredScanner } from './adapter-registry.js';
import { secretField } from './scanner-secret.js';

/** Stands for a stored secret in answers. */
export const secretSetMarker = 'set';

export interface ScannerHealthView {
  status: 'up' | 'down' | 'disabled';
  error?: string;
  /** The adapter's own name, vendor and version, from /metadata. */
  adapter?: { name?: string | undefined; vendor?: string | undefined; version?: string | undefined };
  /** When /metadata was last asked (answers are reused for 30 s), and how long it took. */
  checkedAt?: string;
  metadataSeconds?: number;
}

export type ScannerView = Omit<VulnerabilityScannerConfig, 'auth'> & {
  auth: Record<string, string>;
  source: ScannerSource;
  createdAt?: string;
  updatedAt?: string;
  updatedBy?: string;
  health?: ScannerHealthView;
};

export function scannerView(entry: RegisteredScanner, health?: ScannerHealthView): ScannerView {
  const { auth, ...rest } = entry.scanner;
  const field = secretField(auth.kind);
  const { stored } = entry;
  return {
    ...rest,
    auth: { ...(auth as Record<string, string>), ...(field && entry.secretSet ? { [field]: secretSetMarker } : {}) },
    source: entry.source,
    ...(stored ? { createdAt: stored.createdAt.toISOString(), updatedAt: stored.updatedAt.toISOString(), updatedBy: stored.updatedBy } : {}),
    ...(health ? { health } : {}),
  };
}

/** Health from /metadata as the client caches it, within `timeoutMs`. */
export async function healthOf(entry: RegisteredScanner, client: () => Promise<HarborAdapterClient | undefined>, timeoutMs: number): Promise<ScannerHealthView> {
  if (!entry.scanner.enabled) return { status: 'disabled' };
  let adapter: HarborAdapterClient | undefined;
  try {
    adapter = await client();
    if (!adapter) return { status: 'down', error: 'not registered' };
    const metadata = await withTimeout(adapter.health(), timeoutMs);
    return { status: 'up', adapter: adapterOf(metadata), ...lastCallOf(adapter) };
  } catch (err) {
    return { status: 'down', error: (err as Error).message, ...(adapter ? lastCallOf(adapter) : {}) };
  }
}

export interface MetadataView {
  adapter: ScannerHealthView['adapter'];
  /** The metadata type's version: 1.1 is API v1.2 (typed capabilities, SBOM). */
  apiVersion: AdapterMetadata['apiVersion'];
  capabilities: AdapterMetadata['body']['capabilities'];
  /** Every MIME type the adapter produces, over all its capabilities. */
  producesMimeTypes: string[];
  /** The vulnerability report type scangate asks it for; null: none scangate reads. */
  reportMimeType: string | null;
  properties: Record<string, string>;
}

export function metadataView(metadata: AdapterMetadata): MetadataView {
  const { body } = metadata;
  return {
    adapter: adapterOf(metadata),
    apiVersion: metadata.apiVersion,
    capabilities: body.capabilities,
    producesMimeTypes: [...new Set(body.capabilities.flatMap((c) => c.produces_mime_types))],
    reportMimeType: metadata.reportMimeType ?? null,
    properties: body.properties ?? {},
  };
}

function adapterOf(metadata: AdapterMetadata): ScannerHealthView['adapter'] {
  const { name, vendor, version } = metadata.body.scanner;
  return { name, vendor, version };
}

function lastCallOf(client: HarborAdapterClient): Pick<ScannerHealthView, 'checkedAt' | 'metadataSeconds'> {
  const last = client.lastMetadataCall;
  return last ? { checkedAt: last.at.toISOString(), metadataSeconds: last.seconds } : {};
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
