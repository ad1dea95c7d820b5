// Iterates a source until it ends or the signal aborts, whichever comes first. Destroying a
// stream is not enough to stop a reader: a Readable made from an async generator that is
// stuck in an `await` (a stalled upstream) never finishes its own destroy, and a reader
// awaiting it would wait for ever, past every timeout.
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    for (;;) {
      const next = iterator.next();
      next.catch(() => {}); // it may lose the race and fail later, unobserved
      const result = await Promise.race([next, aborted]);
      if (result.done) return;
      yield result.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Not awaited: a stuck source would never finish its return() either.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
