// How the gate says no. Pending content answers 503 UNAVAILABLE with Retry-After: the
// error code distribution registers for "try again later", which podman and skopeo retry
// (their retry logic treats UNAVAILABLE as transient). Infected and failed content answer
// 403 DENIED: both are final until an admin acts.
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import type { StateRecord } from '../ports/quarantine-store.js';

/** Seconds a client is told to wait before asking again for pending content. */
export const pendingRetryAfterSeconds = 5;

export function pendingError(digest: Digest, what: string): RegistryError {
  return new RegistryError(
    'UNAVAILABLE',
    `${what} ${digest} is waiting for a malware scan; retry in ${pendingRetryAfterSeconds} s`,
    { headers: { 'retry-after': String(pendingRetryAfterSeconds) }, detail: { digest, state: 'pending' } },
  );
}

export function refusedError(record: StateRecord, what: string): RegistryError {
  const why =
    record.state === 'infected'
      ? `was found infected (${record.reason ?? 'no signature recorded'}) by ${record.decidedBy ?? 'a scanner'}`
      : `could not be scanned (${record.reason ?? 'scanner error'}); an admin can rescan it`;
  return new RegistryError('DENIED', `${what} ${record.digest} ${why}`, {
    detail: { digest: record.digest, state: record.state, reason: record.reason, decidedBy: record.decidedBy },
  });
}
