// A client of one Harbor scanner adapter (Pluggable Scanner Adapter API v1.0-v1.2), on undici:
// GET /metadata (health and capabilities, cached), POST /scan, then GET /scan/{id}/report
// until the report is there, honouring 302 + Refresh-After, within an overall timeout. A 404
// on the report means the adapter lost the scan (a restart): the scan is requested again.
// Everything an adapter answers is validated; what fails is an AdapterError, never a crash.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { VulnerabilityScannerConfig } from '../../config/vulnerability-scanner-schema.js';
import { AdapterError } from './adapter-error.js';
import {
  dbUpdatedAtProperty,
  errorSchema,
  mediaTypes,
  metadataSchema,
  readableReportTypes,
  reportSchema,
  scanResponseSchema,
  type AdapterMetadataBody,
  type HarborReport,
  type ScanRequestBody,
} from './protocol.js';

/** What /metadata told us, with what scangate makes of it. */
export interface AdapterMetadata {
  body: AdapterMetadataBody;
  /** The metadata type's version: `1.1` (API v1.2) adapters take v1.1 scan requests, the others v1.0. */
  apiVersion: '1.0' | '1.1';
  /** The vulnerability report type scangate asks for; undefined: none it can read. */
  reportMimeType: string | undefined;
  /** v1.2 adapters type their capabilities; they are told which one a scan enables. */
  typedCapabilities: boolean;
  dbUpdatedAt: Date | null;
}

export interface CompletedScan {
  report: HarborReport;
  /** The report as it came (kept as the record). */
  raw: unknown;
  mimeType: string;
  metadata: AdapterMetadata;
}

export interface HarborClientOptions {
  /** How long /metadata answers are reused (default 30 s). */
  metadataTtlMs?: number;
  /** One HTTP call's limit (default 30 s). */
  requestTimeoutMs?: number;
  /** Refresh-After when a 302 gives none (default 2 s). */
  defaultRefreshSeconds?: number;
  /** Report 404s (lost scans) healed by scanning again within one scan() (default 3). */
  maxRescans?: number;
  /** How long health() repeats a failed /metadata instead of asking again (default 10 s). */
  healthFailureTtlMs?: number;
  /** PEM of the CA(s) that sign the adapter's certificate (the registration's caFile). */
  ca?: string;
}

/** The last GET /metadata this client made: how long it took, and what went wrong if it did. */
export interface MetadataCall {
  at: Date;
  seconds: number;
  error?: string;
}

const apiPath = '/api/v1';

export class HarborAdapterClient {
  readonly name: string;
  readonly #base: string;
  readonly #authorization: Record<string, string>;
  readonly #dispatcher: Dispatcher;
  readonly #options: Required<Omit<HarborClientOptions, 'ca'>>;
  #cached: { metadata: AdapterMetadata; at: number } | undefined;
  #failed: { error: unknown; at: number } | undefined;
  #lastCall: MetadataCall | undefined;

  constructor(config: Pick<VulnerabilityScannerConfig, 'name' | 'url' | 'tlsVerify'>, authorization: Record<string, string>, options: HarborClientOptions = {}) {
    const { ca, ...rest } = options;
    this.name = config.name;
    this.#base = config.url.replace(/\/+$/, '') + apiPath;
    this.#authorization = authorization;
    this.#dispatcher = new Agent({ connect: { rejectUnauthorized: config.tlsVerify, ...(ca !== undefined ? { ca } : {}) } });
    this.#options = { metadataTtlMs: 30_000, requestTimeoutMs: 30_000, defaultRefreshSeconds: 2, maxRescans: 3, healthFailureTtlMs: 10_000, ...rest };
  }

  /** GET /metadata, reused for metadataTtlMs (unless `fresh`); a failure is never reused here. */
  async metadata(signal?: AbortSignal, options: { fresh?: boolean } = {}): Promise<AdapterMetadata> {
    if (!options.fresh && this.#cached && Date.now() - this.#cached.at < this.#options.metadataTtlMs) return this.#cached.metadata;
    const started = performance.now();
    try {
      const res = await this.#call('GET', '/metadata', { accept: `${mediaTypes.metadata11}, ${mediaTypes.metadata10}` }, undefined, signal);
      if (res.status !== 200) throw await unexpected(res, 'GET /metadata');
      const body = parse(metadataSchema, await jsonOf(res, 'GET /metadata'), 'GET /metadata');
      const metadata = describe(body, res.contentType);
      this.#cached = { metadata, at: Date.now() };
      this.#failed = undefined;
      this.#lastCall = { at: new Date(), seconds: (performance.now() - started) / 1000 };
      return metadata;
    } catch (error) {
      if (signal?.aborted) throw error;
      this.#failed = { error, at: Date.now() };
      this.#lastCall = { at: new Date(), seconds: (performance.now() - started) / 1000, error: (error as Error).message };
      throw error;
    }
  }

  /**
   * Health, for /readyz, metrics and the admin API: /metadata as cached, and a failure repeated
   * for healthFailureTtlMs, so that a down adapter costs one call per period however often
   * health is asked.
   */
  async health(): Promise<AdapterMetadata> {
    const failed = this.#failed;
    if (failed && Date.now() - failed.at < this.#options.healthFailureTtlMs) throw failed.error;
    return this.metadata();
  }

  /** The last GET /metadata made (not a cached answer); undefined before the first. */
  get lastMetadataCall(): MetadataCall | undefined {
    return this.#lastCall;
  }

  /**
   * The whole scan: request it, then poll for the report until `timeoutMs` has passed.
   * A lost scan (404) is requested again, at most maxRescans times.
   */
  async scan(artifact: ScanRequestBody['artifact'], registry: () => Promise<ScanRequestBody['registry']>, timeoutMs: number, signal?: AbortSignal): Promise<CompletedScan> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const scope = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const metadata = await this.metadata(scope);
      const mimeType = metadata.reportMimeType;
      if (mimeType === undefined) throw new AdapterError(`${this.name} produces no vulnerability report scangate reads (${readableReportTypes.join(', ')})`, false);
      for (let rescans = 0; ; rescans++) {
        const id = await this.#requestScan(metadata, { registry: await registry(), artifact }, scope);
        const outcome = await this.#awaitReport(id, mimeType, scope);
        if (outcome !== 'lost') return { ...outcome, mimeType, metadata };
        if (rescans >= this.#options.maxRescans) throw new AdapterError(`${this.name} lost the scan ${this.#options.maxRescans + 1} times (404 on its report)`, true, 404);
      }
    } catch (error) {
      if (deadline.aborted && !signal?.aborted) throw new AdapterError(`${this.name} gave no report within ${timeoutMs / 1000} s`, true);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #requestScan(metadata: AdapterMetadata, body: ScanRequestBody, signal: AbortSignal): Promise<string> {
    const contentType = metadata.apiVersion === '1.1' ? mediaTypes.scanRequest11 : mediaTypes.scanRequest10;
    const withCapability: ScanRequestBody = metadata.typedCapabilities
      ? { ...body, enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [metadata.reportMimeType!] }] }
      : body;
    const res = await this.#call('POST', '/scan', { 'content-type': contentType, accept: `${mediaTypes.scanResponse}, ${mediaTypes.error}` }, JSON.stringify(withCapability), signal);
    if (res.status !== 202) throw await unexpected(res, 'POST /scan');
    return parse(scanResponseSchema, await jsonOf(res, 'POST /scan'), 'POST /scan').id;
  }

  /** Polls the report; 'lost' when the adapter no longer knows the scan. */
  async #awaitReport(id: string, mimeType: string, signal: AbortSignal): Promise<{ report: HarborReport; raw: unknown } | 'lost'> {
    const path = `/scan/${encodeURIComponent(id)}/report`;
    for (;;) {
      const res = await this.#call('GET', path, { accept: `${mimeType}, ${mediaTypes.error}` }, undefined, signal);
      if (res.status === 302) {
        await res.body.dump();
        await sleep(refreshAfterMs(res.headers['refresh-after'], this.#options.defaultRefreshSeconds), undefined, { signal });
        continue;
      }
      if (res.status === 404) {
        await res.body.dump();
        return 'lost';
      }
      if (res.status !== 200) throw await unexpected(res, `GET ${path}`);
      const raw = await jsonOf(res, `GET ${path}`);
      return { report: parse(reportSchema, raw, `GET ${path}`), raw };
    }
  }

  async #call(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: string | undefined, signal?: AbortSignal): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#options.requestTimeoutMs);
    try {
      const res = await request(this.#base + path, {
        method,
        headers: { ...this.#authorization, ...headers },
        ...(body !== undefined ? { body } : {}),
        dispatcher: this.#dispatcher,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { status: res.statusCode, headers: res.headers, contentType: headerOf(res.headers['content-type']), body: res.body };
    } catch (error) {
      if (signal?.aborted) throw error;
      const why = timeout.aborted ? `no answer within ${this.#options.requestTimeoutMs / 1000} s` : (error as Error).message;
      throw new AdapterError(`${this.name} is unreachable (${method} ${path}): ${why}`, true);
    }
  }
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  body: Dispatcher.ResponseData['body'];
}

function describe(body: AdapterMetadataBody, contentType: string): AdapterMetadata {
  const vulnerability = body.capabilities.filter((c) => c.type === undefined || c.type === 'vulnerability');
  const produced = new Set(vulnerability.flatMap((c) => c.produces_mime_types.map(normalMediaType)));
  const reportMimeType = readableReportTypes.find((type) => produced.has(normalMediaType(type)));
  const updated = body.properties?.[dbUpdatedAtProperty];
  const dbUpdatedAt = updated === undefined || Number.isNaN(Date.parse(updated)) ? null : new Date(updated);
  return {
    body,
    apiVersion: normalMediaType(contentType) === normalMediaType(mediaTypes.metadata11) ? '1.1' : '1.0',
    reportMimeType,
    typedCapabilities: body.capabilities.some((c) => c.type !== undefined),
    dbUpdatedAt,
  };
}

/** `a/b;version=1.1` and `a/b; version=1.1` are one type. */
function normalMediaType(type: string): string {
  return type
    .split(';')
    .map((part) => part.trim().toLowerCase())
    .join('; ');
}

function headerOf(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

function refreshAfterMs(header: string | string[] | undefined, fallbackSeconds: number): number {
  const seconds = Number(headerOf(header));
  return (Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) : fallbackSeconds) * 1000;
}

async function jsonOf(res: Response, call: string): Promise<unknown> {
  const text = await res.body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AdapterError(`${call} answered ${res.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`, false, res.status);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, call: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new AdapterError(`${call} answered something that is not the adapter API: ${issue.path.join('.') || '(body)'}: ${issue.message}`, false);
}

/** Any status the call did not expect: 5xx may pass, the rest will not. */
async function unexpected(res: Response, call: string): Promise<AdapterError> {
  const text = await res.body.text().catch(() => '');
  let message = text.slice(0, 200);
  try {
    message = errorSchema.parse(JSON.parse(text)).error?.message ?? message;
  } catch {
    // Not the spec's error body: its first bytes say enough.
  }
  return new AdapterError(`${call} answered ${res.status}${message ? `: ${message}` : ''}`, res.status >= 500 && res.status !== 501, res.status);
}
