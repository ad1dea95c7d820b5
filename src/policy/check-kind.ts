// The left side of a generic check (`KIND:match`). oslo.policy runs
// `ast.literal_eval(kind)`: a Python literal ('x', "x", 123, True, None) is compared as
// `str(literal)`; an expression that is not a literal (ValueError: `user_id`,
// `user.name`, `project-id`) is a dotted path into the credentials; a syntax error makes
// oslo raise, which denies the whole decision. Python's grammar is not reproduced here:
// kinds outside the forms below are `unsupported` and evaluate as an error (a denial),
// which is also what oslo does with every syntax error among them.
import { pyFloatRepr } from './python-values.js';

export type CheckKind =
  | { type: 'literal'; text: string }
  | { type: 'path'; segments: string[] }
  | { type: 'unsupported'; message: string };

const keywords = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from ' +
    'global if import in is lambda nonlocal not or pass raise return try while with yield').split(' '),
);

const decimalInt = /^(?:[1-9](?:_?\d)*|0(?:_?0)*)$/;
const radixInt = /^0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)$/;
const digitPart = '\\d(?:_?\\d)*';
const floatLiteral = new RegExp(
  `^(?:(?:${digitPart})?\\.${digitPart}(?:[eE][+-]?${digitPart})?|${digitPart}\\.(?:[eE][+-]?${digitPart})?|${digitPart}[eE][+-]?${digitPart})$`,
);
const identifier = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

export function classifyKind(kind: string): CheckKind {
  if (kind === 'True' || kind === 'False' || kind === 'None') return { type: 'literal', text: kind };
  const number = numberText(kind);
  if (number !== undefined) return { type: 'literal', text: number };
  if (kind.startsWith("'") || kind.startsWith('"') || /^[rRuU]['"]/.test(kind)) return stringKind(kind);
  if (isNamePath(kind)) return { type: 'path', segments: kind.split('.') };
  return { type: 'unsupported', message: `check kind ${JSON.stringify(kind)} is neither a name path nor a supported Python literal` };
}

/** `a.b.c` and `a-b.c` (Python parses them as attribute access and subtraction: not literals). */
function isNamePath(kind: string): boolean {
  return kind.split('-').every((operand) =>
    operand.split('.').every((name, index) => identifier.test(name) && !(keywords.has(name) && !(index === 0 && /^(True|False|None)$/.test(name)))),
  );
}

function numberText(kind: string): string | undefined {
  const negative = kind.startsWith('-');
  const body = kind.startsWith('-') || kind.startsWith('+') ? kind.slice(1) : kind;
  const plain = body.replaceAll('_', '');
  if (decimalInt.test(body) || radixInt.test(body)) {
    const value = BigInt(plain.replace(/^0[oO]/, '0o'));
    return (negative ? -value : value).toString();
  }
  if (floatLiteral.test(body)) return pyFloatRepr(negative ? -Number(plain) : Number(plain));
  return undefined;
}

/** One or more adjacent string literals, with r/u prefixes, as Python concatenates them. */
function stringKind(kind: string): CheckKind {
  let text = '';
  let rest = kind;
  while (rest.length > 0) {
    const literal = /^([rRuU]?)('|")/.exec(rest);
    if (!literal) return unsupportedString(kind);
    const [prefix, quote] = [literal[1] ?? '', literal[2] ?? "'"];
    if (rest.startsWith(quote.repeat(3), prefix.length)) return unsupportedString(kind);
    const body = readQuoted(rest.slice(prefix.length + 1), quote, /r/i.test(prefix));
    if (!body) return unsupportedString(kind);
    text += body.text;
    rest = rest.slice(prefix.length + 1 + body.length);
  }
  return { type: 'literal', text };
}

function unsupportedString(kind: string): CheckKind {
  return { type: 'unsupported', message: `check kind ${kind} is not a supported Python string literal` };
}

const simpleEscapes: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** Reads up to the closing quote; `length` counts the closing quote. */
function readQuoted(source: string, quote: string, raw: boolean): { text: string; length: number } | undefined {
  let text = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i] ?? '';
    if (char === quote) return { text, length: i + 1 };
    if (char !== '\\') {
      text += char;
      continue;
    }
    const next = source[i + 1];
    if (next === undefined) return undefined;
    if (raw) {
      text += char + next;
      i++;
      continue;
    }
    const escaped = readEscape(source, i + 1);
    if (!escaped) return undefined;
    text += escaped.text;
    i += escaped.length;
  }
  return undefined;
}

function readEscape(source: string, at: number): { text: string; length: number } | undefined {
  const next = source[at] ?? '';
  const simple = simpleEscapes[next];
  if (simple !== undefined) return { text: simple, length: 1 };
  const octal = /^[0-7]{1,3}/.exec(source.slice(at));
  if (octal) return { text: String.fromCodePoint(parseInt(octal[0], 8)), length: octal[0].length };
  const widths: Record<string, number> = { x: 2, u: 4, U: 8 };
  const width = widths[next];
  if (width !== undefined) {
    const hex = source.slice(at + 1, at + 1 + width);
    if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    return code > 0x10ffff ? undefined : { text: String.fromCodePoint(code), length: width + 1 };
  }
  if (next === 'N') return undefined; // \N{NAME}: not supported
  return { text: `\\${next}`, length: 1 }; // Python keeps unknown escapes as they are
}
