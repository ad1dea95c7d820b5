// What a delivery POSTs: the event rendered in the subscription's format (CloudEvents 1.0 JSON
// in structured mode, or Harbor's webhook payload) and payload style (`summary`: the event
// without its report, with a link to it; `full`: with the report as well).
import type { DomainEvent } from '../../domain/events.js';
import type { PayloadFormat } from '../../ports/webhook-store.js';
import { harborPayload } from './harbor-payload.js';
import { payloadData, type DataOptions } from './payload-data.js';

export interface RenderOptions extends DataOptions {
  format: PayloadFormat;
}

export interface RenderedPayload {
  body: string;
  contentType: string;
}

/** Prefix of CloudEvents `type`s (reverse DNS, as the spec recommends). */
export const cloudEventTypePrefix = 'io.scangate.';

export function renderPayload(event: DomainEvent, options: RenderOptions): RenderedPayload {
  if (options.format === 'harbor') return { body: JSON.stringify(harborPayload(event, options)), contentType: 'application/json' };
  return { body: JSON.stringify(cloudEvent(event, options)), contentType: 'application/cloudevents+json' };
}

/** CloudEvents 1.0, structured mode: the attributes and `data` in one JSON object. */
export function cloudEvent(event: DomainEvent, options: DataOptions): Record<string, unknown> {
  const { namespace, repository, digest, tag, actor } = event;
  return {
    specversion: '1.0',
    id: event.id,
    source: options.publicUrl.replace(/\/+$/, ''),
    type: `${cloudEventTypePrefix}${event.type}`,
    time: event.time,
    ...(subjectOf(event) ? { subject: subjectOf(event) } : {}),
    datacontenttype: 'application/json',
    data: { namespace, repository, digest, tag, actor, ...payloadData(event, options) },
  };
}

/** `repository@digest`, `repository:tag`, or the bucket object's `bucket/key`. */
function subjectOf(event: DomainEvent): string | undefined {
  if (event.type === 'bucket.object.scanned') return `${event.data.bucket}/${event.data.key}`;
  if (event.repository === null) return undefined;
  if (event.digest !== null) return `${event.repository}@${event.digest}`;
  return event.tag !== null ? `${event.repository}:${event.tag}` : event.repository;
}
