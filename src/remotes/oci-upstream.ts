// The client of one upstream OCI registry: manifests and blobs by GET and HEAD, redirects
// followed (blobs often live behind a CDN), the token challenge and Basic answered through
// UpstreamAuth, and every failure turned into a RegistryError a client can act on: an
// upstream that is down is a 503 with Retry-After, one that answers badly a 502, and what
// it does not have a 404 of the usual code.
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { Digest } from '../domain/digest.js';
import { RegistryError, type ErrorCode } from '../domain/errors.js';
import { manifestMediaTypes } from '../domain/media-types.js';
import { UpstreamAuth, UpstreamAuthError, type UpstreamCredentials } from './upstream-auth.js';
import { tlsFailure, upstreamDispatcher, verifiedTls, type UpstreamTls } from './upstream-tls.js';

export interface OciUpstreamOptions {
  /** The remote's name, for messages. */
  name: string;
  url: string;
  credentials?: UpstreamCredentials;
  /** Verification, CAs and client certificate (readUpstreamTls); default: verified against the system's CAs. */
  tls?: UpstreamTls;
  /** Connect and header timeout; bodies are streamed under the caller's signal. */
  timeoutMs?: number;
}

export interface UpstreamManifest {
  bytes: Buffer;
  mediaType: string | undefined;
  /** Docker-Content-Digest as the upstream sent it (verified by the caller, never trusted). */
  digest: string | undefined;
}

export interface UpstreamHead {
  size: number | undefined;
  mediaType: string | undefined;
  digest: string | undefined;
}

export interface UpstreamBlob {
  size: number | undefined;
  body: Readable;
}

/** Seconds a client is told to wait when the upstream cannot be reached. */
export const upstreamRetryAfterSeconds = 30;
const accept = manifestMediaTypes.join(', ');

type Endpoint = { kind: 'manifests' | 'blobs' | 'tags'; repository: string; reference: string };

/** Most pages of a tag list followed (a runaway `Link` chain stops there). */
const maxTagPages = 100;

export class OciUpstream {
  private readonly dispatcher: Dispatcher;
  private readonly auth: UpstreamAuth;
  private readonly base: string;

  constructor(private readonly options: OciUpstreamOptions) {
    this.dispatcher = upstreamDispatcher(options.tls ?? verifiedTls, options.timeoutMs ?? 30_000);
    this.auth = new UpstreamAuth(options.credentials, this.dispatcher);
    this.base = options.url.replace(/\/+$/, '');
  }

  async getManifest(repository: string, reference: string): Promise<UpstreamManifest> {
    const response = await this.send('GET', { kind: 'manifests', repository, reference });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    return { bytes, mediaType: header(response, 'content-type'), digest: header(response, 'docker-content-digest') };
  }

  async headManifest(repository: string, reference: string): Promise<UpstreamHead> {
    return this.head({ kind: 'manifests', repository, reference });
  }

  async headBlob(repository: string, digest: Digest): Promise<UpstreamHead> {
    return this.head({ kind: 'blobs', repository, reference: digest });
  }

  /** A stream of the blob's bytes; the caller verifies the digest before trusting them. */
  async getBlob(repository: string, digest: Digest, signal?: AbortSignal): Promise<UpstreamBlob> {
    const response = await this.send('GET', { kind: 'blobs', repository, reference: digest }, signal);
    return { size: numberOf(header(response, 'content-length')), body: response.body };
  }

  /** Every tag of the repository upstream, following the list's `Link: <...>; rel="next"` pages. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let page: string | undefined = 'list';
    for (let i = 0; page !== undefined && i < maxTagPages; i++) {
      const response = await this.send('GET', { kind: 'tags', repository, reference: page });
      const body = (await response.body.json().catch(() => ({}))) as { tags?: unknown };
      if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
      page = nextTagPage(header(response, 'link'));
    }
    return tags;
  }

  /** Releases the connections (idempotent). */
  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => {});
  }

  private async head(endpoint: Endpoint): Promise<UpstreamHead> {
    const response = await this.send('HEAD', endpoint);
    await response.body.dump();
    return {
      size: numberOf(header(response, 'content-length')),
      mediaType: header(response, 'content-type'),
      digest: header(response, 'docker-content-digest'),
    };
  }

  /** One request, answered once more after a 401 challenge; resolves only to a 200. */
  private async send(method: 'GET' | 'HEAD', endpoint: Endpoint, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    const url = `${this.base}/v2/${endpoint.repository}/${endpoint.kind}/${endpoint.reference}`;
    const scope = `repository:${endpoint.repository}:pull`;
    const headers: Record<string, string> = endpoint.kind === 'manifests' ? { accept } : {};
    let authorization = this.auth.cachedHeader(scope);
    for (let attempt = 0; ; attempt++) {
      const response = await this.dispatch(url, method, authorization ? { ...headers, authorization } : headers, signal);
      if (response.statusCode === 401 && attempt === 0) {
        await response.body.dump();
        authorization = await this.answerChallenge(header(response, 'www-authenticate'), scope);
        if (authorization) continue;
      }
      if (response.statusCode === 200) return response;
      await response.body.dump();
      throw this.errorFor(response, endpoint);
    }
  }

  private async dispatch(url: string, method: 'GET' | 'HEAD', headers: Record<string, string>, signal?: AbortSignal) {
    try {
      return await request(url, { method, headers, dispatcher: this.dispatcher, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.unreachable(err);
    }
  }

  private async answerChallenge(wwwAuthenticate: string | undefined, scope: string): Promise<string | undefined> {
    try {
      return await this.auth.answer(wwwAuthenticate, scope);
    } catch (err) {
      if (err instanceof UpstreamAuthError) throw this.badGateway(`could not log in: ${err.message}`);
      throw err;
    }
  }

  private errorFor(response: Dispatcher.ResponseData, endpoint: Endpoint): RegistryError {
    const status = response.statusCode;
    if (status === 404 && endpoint.kind === 'tags') {
      return new RegistryError('NAME_UNKNOWN', `${endpoint.repository} is not a repository upstream (remote ${this.options.name})`, {
        detail: { name: endpoint.repository, remote: this.options.name },
      });
    }
    if (status === 404) {
      const code: ErrorCode = endpoint.kind === 'manifests' ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN';
      return new RegistryError(code, `${endpoint.kind === 'manifests' ? 'manifest' : 'blob'} ${endpoint.reference} is not in ${endpoint.repository} upstream (remote ${this.options.name})`, {
        detail: { reference: endpoint.reference, remote: this.options.name },
      });
    }
    if (status === 429) {
      const retryAfter = header(response, 'retry-after') ?? String(upstreamRetryAfterSeconds);
      return new RegistryError('TOOMANYREQUESTS', `remote ${this.options.name} is rate-limiting us; retry in ${retryAfter} s`, {
        headers: { 'retry-after': retryAfter },
      });
    }
    if (status === 401 || status === 403) {
      const hint = this.options.credentials ? 'check its username and passwordFile' : 'it needs credentials: set username and passwordFile';
      return this.badGateway(`refused access to ${endpoint.repository} (${status}); ${hint}`);
    }
    return this.badGateway(`answered ${status} for ${endpoint.kind} ${endpoint.reference} of ${endpoint.repository}`);
  }

  private badGateway(what: string): RegistryError {
    return new RegistryError('UNAVAILABLE', `remote ${this.options.name} (${this.base}) ${what}`, {
      status: 502,
      detail: { remote: this.options.name },
    });
  }

  private unreachable(err: unknown): RegistryError {
    const tls = tlsFailure(err, this.options.name, this.base, this.options.tls ?? verifiedTls, upstreamRetryAfterSeconds);
    if (tls) return tls;
    const code = (err as { code?: string }).code ?? (err as Error).message;
    return new RegistryError(
      'UNAVAILABLE',
      `remote ${this.options.name} (${this.base}) cannot be reached (${code}); content already cached is still served, retry later or ask an admin to check the upstream`,
      { headers: { 'retry-after': String(upstreamRetryAfterSeconds) }, detail: { remote: this.options.name }, cause: err },
    );
  }
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `</v2/x/tags/list?last=a&n=100>; rel="next"` -> `list?last=a&n=100`, the path after `tags/`. */
function nextTagPage(link: string | undefined): string | undefined {
  const target = link === undefined ? undefined : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1];
  if (target === undefined) return undefined;
  const url = new URL(target, 'http://upstream');
  return `list${url.search}`;
}

function numberOf(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
