// The process logger: pino, one JSON object per line on stdout (or another destination),
// so logs can be shipped as they are. Request ids are added per request by Fastify
// (`reqId`, see http/app.ts).
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

export type LogLevel = Config['log']['level'];

export interface LoggerOptions {
  level: LogLevel;
  /** Defaults to stdout; the CLI's one-shot commands log to stderr to keep stdout for output. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: 'scangate',
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never log credentials that reach a request (Authorization, cookies).
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '********' },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
