// How every bench run ends, whatever ends it: Ctrl-C or a kill stops the servers and removes
// their temp dirs before exiting 130; a crash is reported; a run past its deadline gives up;
// process 'exit' (no awaiting possible there) kills whatever is still alive. Exits 0 otherwise,
// whatever the figures: benchmarks never fail CI.

export interface RunGuard {
  /** Prefixes the messages, e.g. `bench:scan`. */
  name: string;
  /** What a signal stops, for its message, e.g. `the registries`. */
  stopping: string;
  /** Gives up (exit 0) after this long; absent means no deadline. */
  deadlineMinutes?: number;
  /** Stops the servers and removes temp dirs; safe to call more than once. */
  cleanUp(): Promise<void>;
  /** The last resort on process 'exit': kill hard and remove, synchronously. */
  killSync(): void;
}

export async function runGuarded(guard: RunGuard, main: () => Promise<void>): Promise<never> {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      console.error(`\n${signal}: stopping ${guard.stopping}`);
      void guard.cleanUp().finally(() => process.exit(130));
    });
  }
  process.once('exit', guard.killSync);
  if (guard.deadlineMinutes !== undefined) {
    const deadline = setTimeout(() => {
      console.error(`${guard.name}: still running after ${guard.deadlineMinutes} minutes; giving up`);
      void guard.cleanUp().finally(() => process.exit(0));
    }, guard.deadlineMinutes * 60_000);
    deadline.unref();
  }
  try {
    await main();
  } catch (error) {
    // After a signal, requests fail because the servers are going: that is no news.
    if (!interrupted) console.error(`${guard.name}: the run failed:`, error instanceof Error ? error.stack : error);
  }
  await guard.cleanUp();
  process.exit(interrupted ? 130 : 0);
}
