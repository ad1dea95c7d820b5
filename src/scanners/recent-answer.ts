// An engine's version is asked by a scan job (for the verdict cache) and again by the scan
// itself (for its result): one answer serves both when asked within `ms`. A failure is
// never kept, so a scanner that comes back is seen at the next call.
export function recentAnswer<T>(ms: number, ask: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = performance.now();
    if (last && now - last.at < ms) return last.value;
    const value = ask();
    const entry = { at: now, value };
    last = entry;
    value.catch(() => {
      if (last === entry) last = undefined;
    });
    return value;
  };
}
