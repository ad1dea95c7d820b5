// The recorder: what emitters hold (`Events`). It hands each event to every sink and keeps
// a sink's failure to itself (logged), so that emitting never fails or slows what it reports.
import type { Logger } from 'pino';
import type { DomainEvent } from '../domain/events.js';
import type { EventSink, Events } from '../ports/event-sink.js';

export class EventRecorder implements Events {
  #closed: Promise<void> | undefined;

  constructor(
    private readonly sinks: readonly EventSink[],
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  emit(event: DomainEvent): void {
    for (const sink of this.sinks) {
      try {
        sink.emit(event);
      } catch (err) {
        this.logger.error({ err, event: event.type, id: event.id }, 'an event sink failed to take an event');
      }
    }
  }

  /** Closes every sink (each writes what it holds first). Idempotent. */
  close(): Promise<void> {
    return (this.#closed ??= this.#closeAll());
  }

  async #closeAll(): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.close();
      } catch (err) {
        this.logger.error({ err }, 'an event sink failed to close');
      }
    }
  }
}
