// One table of OCI error codes and their HTTP statuses (distribution-spec "Error Codes"),
// one error class, and small factories. Every route renders errors from here, so the wire
// shape `{"errors":[{"code","message","detail"}]}` is decided in exactly one place.

export const errorCodes = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  // Not in the spec's table, but the spec lets registries add codes; these keep 4xx/5xx
  // answers in the same shape.
  RANGE_INVALID: { status: 416, message: 'requested range not satisfiable' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  // The file store (/files/).
  FILE_UNKNOWN: { status: 404, message: 'file unknown to registry' },
  FILE_PATH_INVALID: { status: 400, message: 'invalid file path' },
  INTERNAL: { status: 500, message: 'internal server error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorBody {
  errors: { code: ErrorCode; message: string; detail?: unknown }[];
}

/** The one error type services throw; `http/` renders it in the spec's shape. */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail?: unknown;
  /** Extra response headers (e.g. `Range` on a 416, `Retry-After`). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: { detail?: unknown; cause?: unknown; headers?: Record<string, string>; status?: number } = {}) {
    super(message ?? errorCodes[code].message, { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    const entry: ErrorBody['errors'][number] = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}

export const isRegistryError = (err: unknown): err is RegistryError => err instanceof RegistryError;

export const blobUnknown = (digest: string) => new RegistryError('BLOB_UNKNOWN', undefined, { detail: { digest } });
export const manifestUnknown = (reference: string) =>
  new RegistryError('MANIFEST_UNKNOWN', undefined, { detail: { reference } });
export const uploadUnknown = (uuid: string) => new RegistryError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { uuid } });
export const nameUnknown = (name: string) => new RegistryError('NAME_UNKNOWN', undefined, { detail: { name } });
export const digestInvalid = (detail: unknown) => new RegistryError('DIGEST_INVALID', undefined, { detail });
export const manifestInvalid = (reason: string) => new RegistryError('MANIFEST_INVALID', `manifest invalid: ${reason}`, { detail: { reason } });
