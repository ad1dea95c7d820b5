// The client of one file source: plain GETs of `<base>/<path>` (each segment percent-encoded),
// conditional when the caller has a copy (If-None-Match / If-Modified-Since, answered 304),
// redirects followed (credentials are not sent to another host), Basic credentials sent when
// configured. Every failure becomes a RegistryError a client can act on, as for OCI upstreams:
// a path the source does not have is 404 FILE_UNKNOWN, a source that cannot be reached 503
// with Retry-After, one that answers badly or refuses our credentials 502.
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { RegistryError } from '../../domain/errors.js';
import { upstreamRetryAfterSeconds } from '../oci-upstream.js';
import type { UpstreamCredentials } from '../upstream-auth.js';
import { tlsFailure, upstreamDispatcher, verifiedTls, type UpstreamTls } from '../upstream-tls.js';

export interface FileUpstreamOptions {
  /** The remote's name, for messages. */
  name: string;
  /** The source's base URL; a path is resolved under it. */
  url: string;
  credentials?: UpstreamCredentials;
  /** Verification, CAs and client certificate (readUpstreamTls); default: verified against the system's CAs. */
  tls?: UpstreamTls;
  /** Connect and header timeout; bodies are streamed under the caller's signal. */
  timeoutMs?: number;
}

/** What the caller holds of a path, to ask only for something newer. */
export interface Validators {
  etag?: string;
  /** The upstream's Last-Modified as it was sent, or when our copy was fetched. */
  lastModified?: string;
}

export interface UpstreamFile {
  body: Readable;
  size: number | undefined;
  mediaType: string | undefined;
  validators: Validators;
}

export type ConditionalFile = UpstreamFile | { notModified: true; validators: Validators };

export class FileUpstream {
  private readonly dispatcher: Dispatcher;
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(private readonly options: FileUpstreamOptions) {
    this.dispatcher = upstreamDispatcher(options.tls ?? verifiedTls, options.timeoutMs ?? 30_000);
    this.base = options.url.endsWith('/') ? options.url : `${options.url}/`;
    const { credentials } = options;
    this.authorization = credentials && `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  /** The URL of a relative path (`a/b c.iso` -> `<base>/a/b%20c.iso`). */
  urlOf(path: string): string {
    return `${this.base}${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** A stream of the file's bytes; the caller verifies them before trusting them. */
  async get(path: string, signal?: AbortSignal): Promise<UpstreamFile> {
    const got = await this.getIfChanged(path, {}, signal);
    if ('notModified' in got) throw this.badGateway(`answered 304 Not Modified to an unconditional GET of ${path}`);
    return got;
  }

  /** The file, or `notModified` when the upstream says the copy described by `validators` is current. */
  async getIfChanged(path: string, validators: Validators, signal?: AbortSignal): Promise<ConditionalFile> {
    const headers: Record<string, string> = {};
    if (this.authorization) headers.authorization = this.authorization;
    if (validators.etag !== undefined) headers['if-none-match'] = validators.etag;
    else if (validators.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
    const response = await this.dispatch(path, headers, signal);
    const answered = {
      ...optional('etag', header(response, 'etag')),
      ...optional('lastModified', header(response, 'last-modified')),
    };
    if (response.statusCode === 304 && (validators.etag !== undefined || validators.lastModified !== undefined)) {
      await response.body.dump();
      return { notModified: true, validators: { ...validators, ...answered } };
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw this.errorFor(response, path);
    }
    const length = header(response, 'content-length');
    return {
      body: response.body,
      size: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
      mediaType: header(response, 'content-type'),
      validators: answered,
    };
  }

  /** Releases the connections (idempotent). */
  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => {});
  }

  private async dispatch(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Dispatcher.ResponseData> {
    try {
      return await request(this.urlOf(path), { method: 'GET', headers, dispatcher: this.dispatcher, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw err;
      const tls = tlsFailure(err, this.options.name, this.base, this.options.tls ?? verifiedTls, upstreamRetryAfterSeconds);
      if (tls) throw tls;
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new RegistryError(
        'UNAVAILABLE',
        `remote ${this.options.name} (${this.base}) cannot be reached (${code}); files already cached are still served, retry later or ask an admin to check the upstream`,
        { headers: { 'retry-after': String(upstreamRetryAfterSeconds) }, detail: { remote: this.options.name }, cause: err },
      );
    }
  }

  private errorFor(response: Dispatcher.ResponseData, path: string): RegistryError {
    const status = response.statusCode;
    if (status === 404 || status === 410) {
      return new RegistryError('FILE_UNKNOWN', `${path} is not on remote ${this.options.name} (${this.urlOf(path)} answered ${status})`, {
        detail: { path, remote: this.options.name },
      });
    }
    if (status === 429) {
      const retryAfter = header(response, 'retry-after') ?? String(upstreamRetryAfterSeconds);
      return new RegistryError('TOOMANYREQUESTS', `remote ${this.options.name} is rate-limiting us; retry in ${retryAfter} s`, {
        headers: { 'retry-after': retryAfter },
      });
    }
    if (status === 401 || status === 403) {
      const hint = this.authorization ? 'check its username and passwordFile' : 'it needs credentials: set username and passwordFile';
      return this.badGateway(`refused access to ${path} (${status}); ${hint}`);
    }
    return this.badGateway(`answered ${status} for ${path}`);
  }

  private badGateway(what: string): RegistryError {
    return new RegistryError('UNAVAILABLE', `remote ${this.options.name} (${this.base}) ${what}`, { status: 502, detail: { remote: this.options.name } });
  }
}

function header(response: Dispatcher.ResponseData, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
