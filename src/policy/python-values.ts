// oslo.policy compares strings made by Python's str() (`'%(x)s' % target` and
// `match == str(value)`), so a JSON value must print here exactly as Python prints the
// same value after json.loads: True/False/None, lists as reprs, floats as repr() does.
// One gap JSON leaves open: JavaScript cannot tell `1.0` from `1` after parsing, so a
// whole-number float prints as an int ('1', where Python says '1.0').

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Python's `str(value)` of a value decoded from JSON. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's `repr(value)` of a value decoded from JSON. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pyNumber(value);
  if (typeof value === 'string') return pyStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${pyStringRepr(key)}: ${pyRepr(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

/** Python's truth value (`if creds.get('system_scope'):`). */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pyNumber(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : pyFloatRepr(value);
}

/** repr() of a float: shortest round-trip digits, fixed from 1e-4 up to 1e16, else `1e+16`. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Object.is(value, -0)) return '-0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${whole}.${fraction}`;
}

/** repr() of a str: single quotes unless the text has ' and no ", Python's escapes. */
function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    out += escapeChar(char, quote);
  }
  return out + quote;
}

const namedEscapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string, quote: string): string {
  if (char === quote) return `\\${char}`;
  const named = namedEscapes[char];
  if (named) return named;
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code === 0xad) return '\\xad';
  if (/[\p{Z}\p{C}]/u.test(char) && char !== ' ') {
    return code > 0xffff ? `\\U${code.toString(16).padStart(8, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return char;
}
