// What the identity commands read from their user: a password on standard input and an
// expiry given as a duration or a moment.
import type { Readable } from 'node:stream';
import { maxPasswordLength } from '../../auth/passwords.js';
import { UsageError } from './run.js';

/**
 * The first line of `input`, without its line ending: reads only until the newline and never
 * holds more than a password's worth (a stray file piped in fails instead of filling memory).
 */
export async function readPasswordLine(input: Readable): Promise<string> {
  const limit = maxPasswordLength * 4 + 2; // UTF-8 bytes of the longest password, plus CRLF
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const newline = bytes.indexOf(0x0a);
    chunks.push(newline === -1 ? bytes : bytes.subarray(0, newline));
    size += bytes.length;
    if (newline !== -1) break;
    if (size > limit) throw new UsageError('--password-stdin: no line ending within the longest password allowed');
  }
  const line = Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
  if (line.length === 0) throw new UsageError('--password-stdin: standard input held no password');
  return line;
}

const durationUnits: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 365 * 86_400_000 };

/** A date (midnight UTC), or a date-time with its zone: a zoneless time would depend on TZ. */
const isoMoment = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * `--expires`: a duration from `now` (`30m`, `12h`, `90d`, `2w`, `1y`) or an ISO 8601 date
 * or date-time with a zone (`2027-01-31`, `2027-01-31T12:00:00Z`). It must lie in the future.
 */
export function parseExpiry(text: string, now: Date): Date {
  const moment = durationFrom(text, now) ?? isoMomentOf(text);
  if (moment === undefined) {
    throw new UsageError(`bad duration ${JSON.stringify(text)} for --expires: give a duration (30m, 12h, 90d, 2w, 1y), an ISO 8601 date, or a date-time with a zone`);
  }
  if (moment.getTime() <= now.getTime()) throw new UsageError(`--expires ${text} lies in the past (${moment.toISOString()})`);
  return moment;
}

function durationFrom(text: string, now: Date): Date | undefined {
  const duration = /^(\d{1,6})([mhdwy])$/.exec(text);
  return duration ? new Date(now.getTime() + Number(duration[1]) * durationUnits[duration[2]!]!) : undefined;
}

/** Undefined for anything else, including days that do not exist (Date rolls 02-30 over). */
function isoMomentOf(text: string): Date | undefined {
  const match = isoMoment.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  const moment = new Date(text);
  return Number.isNaN(moment.getTime()) ? undefined : moment;
}
