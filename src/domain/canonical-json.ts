// Canonical JSON (RFC 8785, JSON Canonicalization Scheme): object members sorted by their
// names' UTF-16 code units, no whitespace, strings and numbers as ECMAScript's JSON.stringify
// writes them. One value has one serialization, so a digest of it can be signed and checked
// again by anyone holding the value (a vulnerability report read back from the API, say),
// whatever order its keys came in. Pure.

/** Throws for what JSON cannot hold (non-finite numbers, functions, bigints, cycles aside). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      // The default sort compares UTF-16 code units, as RFC 8785 asks.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`);
    return `{${members.join(',')}}`;
  }
  throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
}
