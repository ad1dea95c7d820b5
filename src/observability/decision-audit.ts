// The audit log of access decisions: one JSON line per decision, in a file of its own
// (DATA/audit/decisions.log by default) so that it can be kept, shipped and read apart from
// the operational log. `auth.audit` chooses what is written: `denials` (the default), `all`
// (every allow too: one line per request, so mind the volume) or `off`.
//
// Lines carry who asked, the action, the resource, the outcome and the reason (rule text,
// gate or CVE). They never carry credentials or property values.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type Logger } from 'pino';

export type AuditMode = 'off' | 'denials' | 'all';

export interface DecisionRecord {
  /** `user:NAME`, `robot:NAME` or `anonymous`. */
  caller: string;
  action: string;
  /** `repository:NAME`, `artifact:NAME@DIGEST`, `property:NAME@DIGEST/KEY`, `registry:catalog`, `admin`. */
  resource: string;
  allowed: boolean;
  reason: string;
  requestId?: string;
}

export interface DecisionAudit {
  readonly mode: AuditMode;
  record(decision: DecisionRecord): void;
  close(): Promise<void>;
}

export const noDecisionAudit: DecisionAudit = { mode: 'off', record: () => {}, close: async () => {} };

/** Writes to `file` (created with its directory, mode 0600) as the mode says. */
export function fileDecisionAudit(file: string, mode: AuditMode): DecisionAudit {
  if (mode === 'off') return noDecisionAudit;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const destination = pino.destination({ dest: file, sync: false, mkdir: true, mode: 0o600 });
  return loggerDecisionAudit(pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'event' }, destination), mode, () =>
    new Promise<void>((resolve) => {
      destination.flush(() => destination.end());
      destination.once('close', () => resolve());
      destination.once('error', () => resolve());
    }),
  );
}

/** Over any pino logger (tests pass one that collects lines). */
export function loggerDecisionAudit(logger: Logger, mode: AuditMode, close: () => Promise<void> = async () => {}): DecisionAudit {
  return {
    mode,
    record(decision) {
      if (mode === 'all' || (mode === 'denials' && !decision.allowed)) logger.info(decision, decision.allowed ? 'allow' : 'deny');
    },
    close,
  };
}
