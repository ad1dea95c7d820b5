// Group commit for SQLite. The database runs with `synchronous = NORMAL`, so a commit does
// not fsync on the event loop (better-sqlite3 is synchronous: an fsync per commit froze the
// whole server for each pushed blob). Before an acknowledgement, the caller awaits sync():
// one fdatasync of the WAL in libuv's thread pool, shared by every caller waiting at that
// moment. The WAL is a sequential log, so flushing it makes every commit written so far
// durable, which is what `synchronous = FULL` promised, at a fraction of the fsyncs.
import { open, type FileHandle } from 'node:fs/promises';

export class GroupSync {
  #inFlight: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves once a flush that started after this call has finished. */
  sync(): Promise<void> {
    // A flush queued behind the running one starts after this call: it covers us too.
    if (this.#next) return this.#next;
    if (!this.#inFlight) return this.#start();
    const next = this.#inFlight
      .catch(() => {})
      .then(() => {
        this.#next = undefined;
        return this.#start();
      });
    this.#next = next;
    return next;
  }

  #start(): Promise<void> {
    const flushing = this.flush().finally(() => {
      if (this.#inFlight === flushing) this.#inFlight = undefined;
    });
    this.#inFlight = flushing;
    return flushing;
  }
}

/** A GroupSync over `<database>-wal`, opened on first use (SQLite creates it on first write). */
export function walSync(databaseFile: string): GroupSync {
  let handle: Promise<FileHandle> | undefined;
  return new GroupSync(async () => {
    handle ??= open(`${databaseFile}-wal`, 'r').catch((err: unknown) => {
      handle = undefined;
      throw err;
    });
    await (await handle).datasync();
  });
}
