// Cron expressions of scan schedules, read by croner: 5 fields (minute first), or 6 with
// seconds first. Read in UTC unless a schedule names an IANA time zone, so that every process
// sharing a database computes the same ticks whatever the host's zone.
import { Cron } from 'croner';

function cronOf(expression: string, timezone: string | null): Cron {
  return new Cron(expression, { paused: true, timezone: timezone ?? 'UTC' });
}

/** What is wrong with the expression or the zone, or undefined when both are good. */
export function cronProblem(expression: string, timezone: string | null): string | undefined {
  try {
    cronOf(expression, timezone).nextRun();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The latest tick at or before `now`, if there is one after `notBefore` (exclusive). */
export function latestTick(expression: string, timezone: string | null, now: Date, notBefore: Date): Date | undefined {
  // croner's previousRuns() looks strictly before its reference: a millisecond later includes `now`.
  const [tick] = cronOf(expression, timezone).previousRuns(1, new Date(now.getTime() + 1));
  return tick && tick.getTime() > notBefore.getTime() ? tick : undefined;
}

/** The first tick after `now`. */
export function nextTick(expression: string, timezone: string | null, now: Date): Date | undefined {
  return cronOf(expression, timezone).nextRun(now) ?? undefined;
}
