// Hides secrets before a configuration is shown (`scangate config print`, start-up logs):
// the value of any key named like a password, secret or token, and the password inside any
// URL (`postgres://user:password@host/db`). Works on any plain tree, so keys added to the
// schema later are covered without touching this file.

export const hidden = '********';

// Matched against the end of the key, so `adminPassword` and `authToken` are hidden but
// `tokenTtlSeconds` is not.
const secretKey = /(pass|password|passwd|secret|token|credentials?|(api|access|secret|private)[_-]?key)$/i;
const urlPassword = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)([^/@\s]+)@/i;

export function redact<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && secretKey.test(key) && value !== undefined && value !== null && typeof value !== 'object') {
    return hidden;
  }
  if (typeof value === 'string') return value.replace(urlPassword, `$1${hidden}@`);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, undefined));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  }
  return value;
}
