// The registry token service of the Docker/OCI token flow: short-lived JWTs that carry
// exactly the granted `access` (distribution's token spec), signed with Ed25519 (JWS
// `EdDSA`) through jose. Keys live in the IdentityStore so that every process issues and
// verifies with the same ones; `kid` names the key in each token's header.
//
// Rotation: rotate() makes a new current key and retires the old one, which still verifies
// for `retiredKeyGraceMs` — long enough for every token it signed to expire, including
// tokens signed by another process that had not yet noticed the rotation (it re-reads the
// current key every `keyCacheMs`).
import { randomUUID } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT, type JWK, type JWTHeaderParameters, type JWTPayload } from 'jose';
import type { IdentityStore, SigningKeyRecord } from '../ports/identity-store.js';
import type { AccessEntry } from './scope.js';
import { generateSigningKey, signingAlgorithm } from './signing-key.js';
import { describeJoseError, TokenError } from './token-errors.js';

/** The only algorithm this service signs with and accepts: never `none`, never HS*. */
export const tokenAlgorithm = signingAlgorithm;

export type SigningKeyStore = Pick<IdentityStore, 'rotateSigningKey' | 'currentSigningKey' | 'getSigningKey' | 'verificationKeys' | 'pruneSigningKeys'>;

export interface TokenServiceOptions {
  /** `iss` of every token, checked on verify (e.g. the registry's public URL or name). */
  issuer: string;
  clock?: () => Date;
  /** When issue() is not told (default 300 s, distribution's default). */
  defaultTtlSeconds?: number;
  /** The longest lifetime issue() grants (default 3600 s). */
  maxTtlSeconds?: number;
  /** Leeway for exp/nbf between hosts (default 30 s). */
  clockToleranceSeconds?: number;
  /** How long a process trusts its cached view of a key (default 60 s). */
  keyCacheMs?: number;
}

export interface IssueRequest {
  subject: string;
  access: readonly AccessEntry[];
  /** `aud`: the registry service the token is for (the challenge's `service`). */
  service: string;
  ttlSeconds?: number;
}

export interface IssuedToken {
  token: string;
  /** Seconds, for the token response's `expires_in`. */
  expiresIn: number;
  issuedAt: Date;
  expiresAt: Date;
  jti: string;
  kid: string;
}

export interface RegistryTokenClaims {
  issuer: string;
  subject: string;
  audience: string;
  access: AccessEntry[];
  issuedAt: Date;
  notBefore: Date;
  expiresAt: Date;
  jti: string;
  kid: string;
}

interface CachedKey {
  record: SigningKeyRecord;
  key: CryptoKey;
  loadedAt: number;
}

export class RegistryTokenService {
  readonly #store: SigningKeyStore;
  readonly #issuer: string;
  readonly #clock: () => Date;
  readonly #defaultTtl: number;
  readonly #maxTtl: number;
  readonly #tolerance: number;
  readonly #keyCacheMs: number;
  #signing: CachedKey | undefined;
  readonly #verifying = new Map<string, CachedKey>();

  constructor(store: SigningKeyStore, options: TokenServiceOptions) {
    this.#store = store;
    this.#issuer = options.issuer;
    this.#clock = options.clock ?? (() => new Date());
    this.#defaultTtl = options.defaultTtlSeconds ?? 300;
    this.#maxTtl = options.maxTtlSeconds ?? 3600;
    this.#tolerance = options.clockToleranceSeconds ?? 30;
    this.#keyCacheMs = options.keyCacheMs ?? 60_000;
  }

  /** How long a retired key keeps verifying: the longest token, plus cache and clock leeway. */
  get retiredKeyGraceMs(): number {
    return (this.#maxTtl + this.#tolerance) * 1000 + this.#keyCacheMs;
  }

  /** Signs a token for `subject` carrying `access`; the TTL is capped at maxTtlSeconds. */
  async issue(request: IssueRequest): Promise<IssuedToken> {
    const ttl = Math.min(Math.max(1, Math.floor(request.ttlSeconds ?? this.#defaultTtl)), this.#maxTtl);
    const signing = await this.#signingKey();
    const issuedAt = epochSeconds(this.#clock());
    const jti = randomUUID();
    const token = await new SignJWT({ access: request.access.map((entry) => ({ type: entry.type, name: entry.name, actions: [...entry.actions] })) })
      .setProtectedHeader({ alg: tokenAlgorithm, typ: 'JWT', kid: signing.record.kid })
      .setIssuer(this.#issuer)
      .setSubject(request.subject)
      .setAudience(request.service)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .setJti(jti)
      .sign(signing.key);
    return { token, expiresIn: ttl, issuedAt: new Date(issuedAt * 1000), expiresAt: new Date((issuedAt + ttl) * 1000), jti, kid: signing.record.kid };
  }

  /**
   * The claims of a token this service issued for `service`. Throws TokenError for anything
   * else: malformed, another algorithm (`none`, HS256, ...), an unknown or long-retired
   * key, a bad signature, expired or not yet valid, another issuer or audience, a bad
   * `access` claim.
   */
  async verify(token: string, service: string): Promise<RegistryTokenClaims> {
    let kid = '';
    try {
      const { payload } = await jwtVerify(token, async (header: JWTHeaderParameters) => (await this.#verificationKey((kid = header.kid ?? ''))).key, {
        algorithms: [tokenAlgorithm],
        issuer: this.#issuer,
        audience: service,
        clockTolerance: this.#tolerance,
        currentDate: this.#clock(),
        maxTokenAge: this.#maxTtl + this.#tolerance,
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti'],
      });
      return claimsOf(payload, service, kid);
    } catch (error) {
      throw error instanceof TokenError ? error : describeJoseError(error);
    }
  }

  /** Makes a new current key; the previous one keeps verifying for retiredKeyGraceMs. */
  async rotate(): Promise<SigningKeyRecord> {
    const { key, privateKey } = await generateSigningKey();
    const record = await this.#store.rotateSigningKey(key);
    this.#signing = { record, key: privateKey, loadedAt: Date.now() };
    this.#verifying.clear();
    return record;
  }

  /** The public keys that verify tokens now (a JWKS document for other verifiers). */
  async publicJwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.#store.verificationKeys(new Date(this.#clock().getTime() - this.retiredKeyGraceMs));
    return { keys: keys.map((key) => key.publicJwk as JWK) };
  }

  /** Deletes keys retired longer ago than the grace period; returns how many. */
  async pruneRetiredKeys(): Promise<number> {
    return this.#store.pruneSigningKeys(new Date(this.#clock().getTime() - this.retiredKeyGraceMs));
  }

  async #signingKey(): Promise<CachedKey> {
    if (this.#signing && Date.now() - this.#signing.loadedAt < this.#keyCacheMs) return this.#signing;
    const record = await this.#store.currentSigningKey();
    if (record === undefined) {
      await this.rotate();
      return this.#signing!;
    }
    const key = await importJWK(JSON.parse(record.privateJwk) as JWK, record.algorithm);
    this.#signing = { record, key: key as CryptoKey, loadedAt: Date.now() };
    return this.#signing;
  }

  async #verificationKey(kid: string): Promise<CachedKey> {
    let cached = this.#verifying.get(kid);
    if (cached === undefined || Date.now() - cached.loadedAt >= this.#keyCacheMs) {
      // Only thumbprint-shaped kids reach the database.
      const record = /^[A-Za-z0-9_-]{43}$/.test(kid) ? await this.#store.getSigningKey(kid) : undefined;
      if (record === undefined || record.algorithm !== tokenAlgorithm) {
        this.#verifying.delete(kid);
        throw new TokenError('unknown_key', `no signing key ${JSON.stringify(kid.slice(0, 64))}`);
      }
      const key = await importJWK(record.publicJwk as JWK, record.algorithm);
      cached = { record, key: key as CryptoKey, loadedAt: Date.now() };
      this.#verifying.set(kid, cached);
    }
    const retiredAt = cached.record.retiredAt;
    if (retiredAt !== null && this.#clock().getTime() - retiredAt.getTime() > this.retiredKeyGraceMs) {
      throw new TokenError('unknown_key', `signing key ${kid} was retired at ${retiredAt.toISOString()}`);
    }
    return cached;
  }
}

function claimsOf(payload: JWTPayload, service: string, kid: string): RegistryTokenClaims {
  return {
    issuer: payload.iss!,
    subject: payload.sub!,
    audience: service,
    access: accessClaim(payload['access']),
    issuedAt: new Date(payload.iat! * 1000),
    notBefore: new Date(payload.nbf! * 1000),
    expiresAt: new Date(payload.exp! * 1000),
    jti: payload.jti!,
    kid,
  };
}

function accessClaim(value: unknown): AccessEntry[] {
  if (!Array.isArray(value)) throw new TokenError('invalid_claims', 'the access claim is not a list');
  return value.map((entry: unknown) => {
    const { type, name, actions } = (entry ?? {}) as Record<string, unknown>;
    const valid = typeof type === 'string' && typeof name === 'string' && Array.isArray(actions) && actions.every((a) => typeof a === 'string');
    if (!valid) throw new TokenError('invalid_claims', 'an access entry is not {type, name, actions}');
    return { type, name, actions: [...(actions as string[])] };
  });
}

function epochSeconds(moment: Date): number {
  return Math.floor(moment.getTime() / 1000);
}
