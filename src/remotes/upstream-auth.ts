// Credentials for one upstream registry: the registry token challenge (a 401 with
// `WWW-Authenticate: Bearer realm=...,service=...,scope=...` -> GET the realm, with Basic
// credentials when configured -> a Bearer token) and plain Basic. Tokens are cached per
// scope until shortly before they expire, so a pull costs one token request, not one per blob.
import type { Dispatcher } from 'undici';
import { request } from 'undici';

export interface UpstreamCredentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Raised when the upstream's token endpoint refuses or answers nonsense. */
export class UpstreamAuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamAuthError';
  }
}

/** A token is dropped this long before the expiry it was given, so it never dies in flight. */
const expiryMarginMs = 10_000;
/** Token lifetime when the endpoint names none (the token spec's default). */
const defaultTokenSeconds = 60;

export class UpstreamAuth {
  private readonly tokens = new Map<string, { value: string; expiresAt: number }>();
  /** Set once the upstream asked for Basic: then every request carries it from the start. */
  private basicAlways = false;

  constructor(
    private readonly credentials: UpstreamCredentials | undefined,
    private readonly dispatcher: Dispatcher,
  ) {}

  /** The Authorization header to send first for a scope, from what is already known. */
  cachedHeader(scope: string): string | undefined {
    const token = this.tokens.get(scope);
    if (token && token.expiresAt > Date.now()) return `Bearer ${token.value}`;
    if (this.basicAlways && this.credentials) return this.basicHeader(this.credentials);
    return undefined;
  }

  /** Answers a 401's challenge: the header to retry with, or undefined when there is none to give. */
  async answer(wwwAuthenticate: string | undefined, scope: string): Promise<string | undefined> {
    const challenge = wwwAuthenticate === undefined ? undefined : parseChallenge(wwwAuthenticate);
    if (challenge?.scheme === 'bearer' && challenge.params.realm) return `Bearer ${await this.fetchToken(challenge.params, scope)}`;
    if (challenge?.scheme === 'basic' && this.credentials) {
      this.basicAlways = true;
      return this.basicHeader(this.credentials);
    }
    return undefined;
  }

  private async fetchToken(params: Record<string, string>, fallbackScope: string): Promise<string> {
    const url = new URL(params.realm!);
    if (params.service) url.searchParams.set('service', params.service);
    const scope = params.scope ?? fallbackScope;
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (this.credentials) headers.authorization = this.basicHeader(this.credentials);
    const response = await request(url, { headers, dispatcher: this.dispatcher }).catch((err: unknown) => {
      throw new UpstreamAuthError(`token endpoint ${url.origin} cannot be reached: ${(err as Error).message}`, { cause: err });
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new UpstreamAuthError(`token endpoint ${url.origin}${url.pathname} answered ${response.statusCode}${this.credentials ? ' (check the remote username and passwordFile)' : ''}`);
    }
    const body = (await response.body.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new UpstreamAuthError(`token endpoint ${url.origin}${url.pathname} answered no token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : defaultTokenSeconds;
    this.tokens.set(fallbackScope, { value: token, expiresAt: Date.now() + seconds * 1000 - expiryMarginMs });
    return token;
  }

  private basicHeader({ username, password }: UpstreamCredentials): string {
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
}

/** Parses `Bearer realm="...",service="...",scope="..."` (quoted or bare values; scheme lower-cased). */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pair = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (let m = pair.exec(match[2]!); m; m = pair.exec(match[2]!)) {
    params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1]!.toLowerCase(), params };
}
