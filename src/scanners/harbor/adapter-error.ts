// How a call to a scanner adapter failed, and whether trying again can help: connection
// errors, timeouts and 5xx can (the job retries with backoff); a refused request (400, 422,
// 501), bad credentials, and garbage cannot (the scan is recorded as failed).
export class AdapterError extends Error {
  constructor(
    message: string,
    /** False: the same request will fail again; record it and stop. */
    readonly retryable: boolean,
    /** The HTTP status, when the adapter answered at all. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AdapterError';
  }
}

export function isAdapterError(error: unknown): error is AdapterError {
  return error instanceof AdapterError;
}
