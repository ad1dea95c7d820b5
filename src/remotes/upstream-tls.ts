// TLS towards an upstream (OCI registry or file source): whether its certificate is verified,
// against which CAs (`caFile`, else the system's), and the client certificate it may ask for
// (`certFile` + `keyFile`, mutual TLS). The files are read when the remote is loaded (start, or
// an admin change) and checked then, so a wrong path or a key that does not fit its certificate
// is refused at once instead of failing every request. A connection that fails on TLS is the
// remote's configuration, not an outage: it is told apart from "cannot be reached" with a hint
// at the key to fix.
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { Agent, interceptors, type Dispatcher } from 'undici';
import { RegistryError } from '../domain/errors.js';

/** The TLS keys of a remote (either kind). */
export interface RemoteTlsConfig {
  name: string;
  tlsVerify: boolean;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** What undici's `connect` takes, read from the files. */
export interface UpstreamTls {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export const verifiedTls: UpstreamTls = { rejectUnauthorized: true };

/** Reads and checks the remote's TLS files; throws naming the remote, the key and the file. */
export async function readUpstreamTls(remote: RemoteTlsConfig): Promise<UpstreamTls> {
  const read = async (key: 'caFile' | 'certFile' | 'keyFile'): Promise<Buffer | undefined> => {
    const path = remote[key];
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`remote ${remote.name}: cannot read ${key} ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const [ca, cert, key] = [await read('caFile'), await read('certFile'), await read('keyFile')];
  const tls: UpstreamTls = { rejectUnauthorized: remote.tlsVerify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  if (ca && !ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`remote ${remote.name}: unusable TLS files (caFile ${remote.caFile}): no PEM certificate in it`);
  try {
    // Parses the PEM and pairs the key with its certificate, as the first connection would.
    createSecureContext({ ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) });
  } catch (err) {
    const files = [remote.caFile && `caFile ${remote.caFile}`, remote.certFile && `certFile ${remote.certFile}`, remote.keyFile && `keyFile ${remote.keyFile}`];
    throw new Error(`remote ${remote.name}: unusable TLS files (${files.filter(Boolean).join(', ')}): ${(err as Error).message}`);
  }
  return tls;
}

const maxRedirections = 5;

/** The connection pool of one upstream client: its TLS, timeouts, redirects followed. */
export function upstreamDispatcher(tls: UpstreamTls, timeoutMs: number): Dispatcher {
  return new Agent({ connect: { ...tls, timeout: timeoutMs }, headersTimeout: timeoutMs }).compose(interceptors.redirect({ maxRedirections }));
}

/** Node's codes for a certificate the client could not verify. */
const verifyCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * A 502 naming the remote and the key to fix when a connection failed on TLS; undefined for
 * any other failure (the caller's "cannot be reached"). An HTTPS upstream that requires a
 * client certificate and got none closes the connection after the TLS 1.3 handshake, before
 * answering, which looks like any dropped connection: without a client certificate that is a
 * 503 (it may be passing) whose message names certFile as the likely fix.
 */
export function tlsFailure(err: unknown, remote: string, base: string, tls: UpstreamTls, retryAfterSeconds: number): RegistryError | undefined {
  const code = codeOf(err);
  const reason = `${code}: ${messageOf(err)}`;
  if (code === 'UND_ERR_SOCKET' && base.startsWith('https:') && tls.cert === undefined && nothingRead(err)) {
    return new RegistryError(
      'UNAVAILABLE',
      `remote ${remote}: ${base} closed the connection before answering (${reason}); if it requires a client certificate (mutual TLS), set certFile and keyFile, else retry later`,
      { headers: { 'retry-after': String(retryAfterSeconds) }, detail: { remote, tls: true }, cause: err },
    );
  }
  if (verifyCodes.has(code)) {
    return badTls(remote, `${base} presented a TLS certificate that could not be verified (${reason}); set caFile to the CA that signed it (or tlsVerify: false, for a test upstream only)`);
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') {
    const hint = /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN/.test(code)
      ? 'if it requires a client certificate, set certFile and keyFile to one it accepts'
      : 'check its URL and TLS settings';
    return badTls(remote, `${base} refused the TLS handshake (${reason}); ${hint}`);
  }
  return undefined;
}

function badTls(remote: string, what: string): RegistryError {
  return new RegistryError('UNAVAILABLE', `remote ${remote}: ${what}`, { status: 502, detail: { remote, tls: true } });
}

/** Whether the connection closed before any byte of an answer arrived. */
function nothingRead(err: unknown): boolean {
  return (err as { socket?: { bytesRead?: unknown } }).socket?.bytesRead === 0;
}

/** undici wraps some socket errors: the TLS code is on the error or its cause. */
function codeOf(err: unknown): string {
  const own = (err as { code?: unknown } | null)?.code;
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof cause === 'string' && (verifyCodes.has(cause) || cause.startsWith('ERR_SSL_'))) return cause;
  return typeof own === 'string' ? own : typeof cause === 'string' ? cause : '';
}

function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause instanceof Error && codeOf(err) === (cause as { code?: unknown }).code ? cause.message : (err as Error).message;
}
