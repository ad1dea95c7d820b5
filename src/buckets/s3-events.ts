// S3 event notifications as AWS and MinIO send them: `{"Records":[{eventName, s3:{bucket:{name},
// object:{key, size, eTag, versionId, sequencer}}}]}` (MinIO adds `EventName` and `Key` at the
// top). Object keys arrive URL-encoded, with `+` for a space. Only object-created events start
// a scan; AWS's `s3:TestEvent` (sent when a notification is configured) and the rest are
// recognised and ignored. Anything else is not a notification: its message is poison.
import { z } from 'zod';

/** One object-created record, its key decoded. */
export interface ObjectEvent {
  eventName: string;
  bucket: string;
  key: string;
  size?: number;
  /** Without quotes. */
  etag?: string;
  versionId?: string;
  sequencer?: string;
}

export type Notification =
  | { kind: 'objects'; created: ObjectEvent[]; ignored: string[] }
  /** AWS's s3:TestEvent: a notification target was configured. */
  | { kind: 'test' }
  | { kind: 'invalid'; reason: string };

const record = z.object({
  eventName: z.string().min(1),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

const notification = z.object({ Records: z.array(record).min(1) });
const testEvent = z.object({ Event: z.literal('s3:TestEvent') });

const created = /^(s3:)?ObjectCreated:/;
// MinIO reports tag, retention and legal-hold changes as ObjectCreated:* too: scangate's own
// tagging would otherwise come back as a new event for the same object.
const metadataOnly = /:(PutTagging|DeleteTagging|PutRetention|PutLegalHold)$/;

/** Parses one message body (bytes, text or an already-parsed JSON value). */
export function parseNotification(body: Buffer | string | unknown): Notification {
  let value = body;
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    try {
      value = JSON.parse(body.toString());
    } catch {
      return { kind: 'invalid', reason: 'not JSON' };
    }
  }
  if (testEvent.safeParse(value).success) return { kind: 'test' };
  const parsed = notification.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { kind: 'invalid', reason: `not an S3 event notification: ${issue.path.join('.') || '(top level)'}: ${issue.message}` };
  }
  const events: ObjectEvent[] = [];
  const ignored: string[] = [];
  for (const r of parsed.data.Records) {
    if (!created.test(r.eventName) || metadataOnly.test(r.eventName)) {
      ignored.push(r.eventName);
      continue;
    }
    const key = decodeEventKey(r.s3.object.key);
    if (key === undefined) return { kind: 'invalid', reason: `object key is not URL-encoded: ${JSON.stringify(r.s3.object.key)}` };
    const { size, eTag, versionId, sequencer } = r.s3.object;
    events.push({
      eventName: r.eventName,
      bucket: r.s3.bucket.name,
      key,
      ...(size !== undefined ? { size } : {}),
      ...(eTag ? { etag: unquoteEtag(eTag) } : {}),
      // `null` is what AWS sends for unversioned buckets in some regions.
      ...(versionId && versionId !== 'null' ? { versionId } : {}),
      ...(sequencer ? { sequencer } : {}),
    });
  }
  return { kind: 'objects', created: events, ignored };
}

/** What an event tells the processor about its object. */
export function triggerOf(event: ObjectEvent): { bucket: string; key: string; etag?: string; size?: number; versionId?: string } {
  return {
    bucket: event.bucket,
    key: event.key,
    ...(event.etag !== undefined ? { etag: event.etag } : {}),
    ...(event.size !== undefined ? { size: event.size } : {}),
    ...(event.versionId !== undefined ? { versionId: event.versionId } : {}),
  };
}

/** A key as notifications carry it: form-encoded (`+` for space, `%2B` for `+`). */
export function decodeEventKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

/** The inverse, as AWS writes it: `/` kept, space as `+`. */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

/** ETags come quoted from S3 responses and bare in notifications. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}
