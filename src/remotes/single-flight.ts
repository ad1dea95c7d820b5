// Single flight: callers asking for the same key while a task for it runs share that one
// task's promise. The task runs under its own lifetime, not any caller's: a caller that
// goes away does not cancel what the others wait on.
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** Joins the task running for `key`, or starts `task` for it. */
  run(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.running.get(key);
    if (running) return running;
    const started = task().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  /** How many tasks are under way (for tests and metrics). */
  get size(): number {
    return this.running.size;
  }
}
