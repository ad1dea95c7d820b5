// A clock that moves only when told, for lease expiry and backoff without waiting.

export class TestClock {
  #now: number;

  constructor(start = Date.parse('2030-01-01T00:00:00.000Z')) {
    this.#now = start;
  }

  /** Pass as the queue's `clock`. */
  readonly now = (): Date => new Date(this.#now);

  advance(ms: number): void {
    this.#now += ms;
  }
}
