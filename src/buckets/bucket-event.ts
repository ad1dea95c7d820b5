// A bucket result as the domain event `bucket.object.scanned` (src/domain/events.ts), so that
// webhook subscriptions and the event log see bucket objects as they see registry content.
// Emitted once per decision (and once for an error given up on), whatever `reportClean` says:
// subscribers choose by event type, the AMQP results stay as configured.
import { newEvent, type DomainEventOf } from '../domain/events.js';
import type { BucketScanResult } from './result.js';

export function bucketObjectEvent(result: BucketScanResult): DomainEventOf<'bucket.object.scanned'> {
  return newEvent(
    'bucket.object.scanned',
    // A bucket object has no repository or digest; the actor is what judged it.
    { actor: result.scanners.length > 0 ? `scanner:${result.scanners.map((s) => s.name).join(',')}` : null },
    {
      bucket: result.bucket,
      key: result.key,
      etag: result.etag || null,
      size: result.size,
      verdict: result.status,
      signatures: result.findings.map((f) => f.signature),
      scanners: result.scanners.map((s) => s.name),
      action: result.action,
      ...(result.quarantine ? { movedTo: result.quarantine.bucket } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    },
    new Date(result.scannedAt),
  );
}
