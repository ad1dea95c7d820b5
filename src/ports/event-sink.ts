// EventSink: where domain events go (src/domain/events.ts). Adapters: the log
// (src/events/log-sink.ts) and the webhooks (src/events/webhook-sink.ts), fanned out by the
// recorder (src/events/recorder.ts), which is what the rest of the code holds as `Events`.
//
// The one rule: emitting never slows or fails what it reports. emit() returns at once; a
// sink that writes does so in the background, and its failures are logged, never thrown.
import type { DomainEvent } from '../domain/events.js';

export interface EventSink {
  /** Takes the event; whatever it writes is written in the background. */
  emit(event: DomainEvent): void;
  /** Writes what it holds (a pending batch), then releases what it uses. Idempotent. */
  close(): Promise<void>;
}

/** What emitters hold: fire and forget. */
export interface Events {
  emit(event: DomainEvent): void;
}

/** No events at all (module tests, and code built without a recorder). */
export const noEvents: Events = { emit: () => {} };
