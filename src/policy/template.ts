// The right side of a check (`role:%(role_name)s`, `tenant:%(project_id)s`) is run
// through Python's `match % target`. A key missing from the target raises KeyError,
// which oslo turns into "this check is false"; any other formatting error (a lone `%`,
// an unsupported conversion) raises out of the whole decision, which denies it.
// Keys are looked up as they are first (oslo's own behaviour), then, for scangate's
// nested targets, as a dotted path (`%(properties.owner)s`).
import { isPlainObject, pyRepr, pyStr } from './python-values.js';

/** Returned when a `%(key)s` is not in the target. */
export const MISSING: unique symbol = Symbol('missing');

export class PolicyEvaluationError extends Error {
  override readonly name = 'PolicyEvaluationError';
}

type Part = string | { key: string; convert: (value: unknown) => string } | { key: string; error: string } | { error: string };

export interface Template {
  /** The template text, for reasons (never the substituted values). */
  readonly source: string;
  /** Problems found at compile time (each also raises when evaluated). */
  readonly problems: string[];
  /** The target keys it reads (`%(key)s`), in order. */
  readonly keys: string[];
  render(target: Record<string, unknown>): string | typeof MISSING;
}

export function compileTemplate(source: string): Template {
  if (!source.includes('%')) return { source, problems: [], keys: [], render: () => source };
  const parts = splitTemplate(source);
  const problems = parts.flatMap((part) => (typeof part === 'object' && 'error' in part ? [part.error] : []));
  const keys = parts.flatMap((part) => (typeof part === 'object' && 'key' in part ? [part.key] : []));
  return { source, problems, keys, render: (target) => renderParts(parts, target) };
}

function renderParts(parts: Part[], target: Record<string, unknown>): string | typeof MISSING {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    if ('key' in part) {
      const value = lookupTarget(target, part.key);
      if (value === MISSING) return MISSING;
      if ('convert' in part) {
        out += part.convert(value);
        continue;
      }
    }
    throw new PolicyEvaluationError(part.error);
  }
  return out;
}

/** The target's own key first, else a dotted path through nested objects. */
export function lookupTarget(target: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(target, key)) return target[key];
  if (!key.includes('.')) return MISSING;
  let node: unknown = target;
  for (const segment of key.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, segment)) return MISSING;
    node = node[segment];
  }
  return node;
}

/** Python's %d of a JSON value: numbers truncate, booleans are 1 and 0, others raise. */
function pyDecimal(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value)).toString();
  throw new PolicyEvaluationError('%d format needs a number');
}

/** Python's %x/%X/%o: integers (and booleans) only. */
function pyRadix(radix: number, upper: boolean): (value: unknown) => string {
  return (value) => {
    const int = typeof value === 'boolean' ? Number(value) : value;
    if (typeof int !== 'number' || !Number.isInteger(int)) throw new PolicyEvaluationError('%x and %o formats need an integer');
    const text = BigInt(int).toString(radix);
    return upper ? text.toUpperCase() : text;
  };
}

/** Python's %f: six decimals (huge values, where JavaScript turns to exponents, raise). */
function pyFixed(value: unknown): string {
  const number = typeof value === 'boolean' ? Number(value) : value;
  if (typeof number !== 'number' || !(Math.abs(number) < 1e21)) throw new PolicyEvaluationError('%f format needs a number');
  return number.toFixed(6);
}

/** Python's %c: a code point, or a one-character string. */
function pyChar(value: unknown): string {
  if (typeof value === 'string' && [...value].length === 1) return value;
  const code = typeof value === 'boolean' ? Number(value) : value;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 0x10ffff) throw new PolicyEvaluationError('%c format needs a character');
  return String.fromCodePoint(code);
}

// %e and %g are not reproduced: a check using them is an error here (a denial).
const conversions: Record<string, (value: unknown) => string> = {
  s: pyStr, r: pyRepr, a: pyRepr, d: pyDecimal, i: pyDecimal, u: pyDecimal,
  x: pyRadix(16, false), X: pyRadix(16, true), o: pyRadix(8, false), f: pyFixed, F: pyFixed, c: pyChar,
};

/** Splits at Python's %-specifiers: `%%`, `%(key)<flags><width><precision><length><type>`. */
function splitTemplate(source: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < source.length) {
    const char = source[i] ?? '';
    if (char !== '%') {
      literal += char;
      i++;
      continue;
    }
    if (source[i + 1] === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    if (literal) parts.push(literal);
    literal = '';
    const spec = readSpec(source, i + 1);
    parts.push(spec.part);
    i = spec.end;
  }
  if (literal) parts.push(literal);
  return parts;
}

function readSpec(source: string, start: number): { part: Part; end: number } {
  if (source[start] !== '(') {
    return { part: { error: `'%' without a (key) in ${JSON.stringify(source)}` }, end: source.length };
  }
  const close = matchingParen(source, start);
  if (close < 0) return { part: { error: `incomplete format key in ${JSON.stringify(source)}` }, end: source.length };
  const key = source.slice(start + 1, close);
  const rest = /^([-#0 +]*)(\d*|\*)(?:\.(\d*|\*))?[hlL]?(.?)/.exec(source.slice(close + 1));
  const [whole = '', flags = '', width = '', precision, type = ''] = rest ?? [];
  const end = close + 1 + whole.length;
  const convert = conversions[type];
  if (convert && !flags && !width && precision === undefined) return { part: { key, convert }, end };
  const error = type ? `unsupported format %(${key})${whole}` : `incomplete format in ${JSON.stringify(source)}`;
  return { part: { key, error }, end };
}

/** Python counts nested parentheses inside `%(...)`. */
function matchingParen(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === '(') depth++;
    else if (source[i] === ')' && --depth === 0) return i;
  }
  return -1;
}
