// Resident memory and CPU time of a server process, from /proc/<pid>/status and stat.
import { readFileSync, writeFileSync } from 'node:fs';

export interface RssReport {
  /** The largest VmRSS seen by sampling. */
  sampledPeakBytes: number;
  /** VmHWM at the end: the kernel's own peak since the last reset (catches what sampling missed). */
  highWaterMarkBytes: number;
  samples: number;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * Resets the kernel's peak-RSS counter (VmHWM) of `pid`, so that it covers only what
 * follows. Writing 5 to clear_refs does that since Linux 4.0; false if it was refused.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `intervalMs` until the returned stop() is called. */
export function sampleRss(pid: number, intervalMs = 50): () => RssReport {
  let sampledPeakBytes = 0;
  let samples = 0;
  const sample = (): void => {
    try {
      sampledPeakBytes = Math.max(sampledPeakBytes, statusField(pid, 'VmRSS'));
      samples += 1;
    } catch {
      // The process is gone; the run will fail on its own, sampling need not.
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    let highWaterMarkBytes = 0;
    try {
      highWaterMarkBytes = statusField(pid, 'VmHWM');
    } catch {
      // as above
    }
    return { sampledPeakBytes, highWaterMarkBytes, samples };
  };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, the unit of /proc/<pid>/stat on Linux

/**
 * CPU seconds (user + system, all threads) the process has used so far. Unlike wall time,
 * this barely moves when other work shares the machine, so CPU per byte compares servers
 * fairly even on a busy box.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
