// The log sink: one line per event (config `events.log`), its envelope and data without the
// bulky report, so the log shows what the gate decided without repeating findings.
import type { Logger } from 'pino';
import type { DomainEvent } from '../domain/events.js';
import type { EventSink } from '../ports/event-sink.js';

export class LogEventSink implements EventSink {
  constructor(
    private readonly logger: Pick<Logger, 'info' | 'debug'>,
    private readonly level: 'info' | 'debug',
  ) {}

  emit(event: DomainEvent): void {
    const { report: _report, ...data } = event.data as { report?: unknown };
    const { data: _data, type, ...envelope } = event;
    this.logger[this.level]({ event: type, ...envelope, data }, `event ${type}`);
  }

  async close(): Promise<void> {}
}
