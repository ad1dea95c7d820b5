// How long a process's threads sat runnable but not running (waiting for a CPU), from
// /proc/PID/task/TID/schedstat (run ns, run-queue wait ns, slices). When the scangate
// side of a scan takes longer than the raw side while clamd's CPU time is the same, this
// tells waiting for a core (a busy machine) from waiting for bytes (a slow feeder).
import { readdirSync, readFileSync } from 'node:fs';

export type RunQueueSnapshot = Map<string, number>;

export function runQueueSnapshot(pid: number): RunQueueSnapshot {
  const waits: RunQueueSnapshot = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [, waitNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        waits.set(tid, Number(waitNs));
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    // No such process (or no schedstat on this kernel): no figure.
  }
  return waits;
}

/** Seconds of run-queue wait since `before`, summed over the threads alive now. */
export function runQueueSecondsSince(pid: number, before: RunQueueSnapshot): number {
  let waitNs = 0;
  for (const [tid, now] of runQueueSnapshot(pid)) waitNs += now - (before.get(tid) ?? 0);
  return waitNs / 1e9;
}
