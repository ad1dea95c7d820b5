// oslo.policy's tokenizer, reproduced: split at whitespace (Python's idea of it), peel
// leading `(` and trailing `)` off each word, lower-case `and`/`or`/`not`, and keep a
// word wrapped in matching quotes as a string (which no grammar rule accepts). Parentheses
// inside a word stay in it, which is how `%(key)s` survives.

export type Token =
  | { type: '(' | ')' }
  | { type: 'and' | 'or' | 'not' }
  | { type: 'check'; text: string }
  | { type: 'string'; text: string };

/** The characters for which Python's str.isspace() is true (JavaScript's \s differs). */
const pythonWhitespace = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

export function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  for (const word of rule.split(pythonWhitespace)) {
    if (word) tokenizeWord(word, tokens);
  }
  return tokens;
}

function tokenizeWord(word: string, tokens: Token[]): void {
  let start = 0;
  while (word[start] === '(') {
    tokens.push({ type: '(' });
    start++;
  }
  if (start === word.length) return;
  const tok = word.slice(start);
  let end = tok.length;
  while (end > 0 && tok[end - 1] === ')') end--;
  const clean = tok.slice(0, end);
  const lowered = clean.toLowerCase();
  if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
    tokens.push({ type: lowered });
  } else if (clean) {
    // oslo tests the quotes on the word before its trailing ')' are removed.
    const quoted = tok.length >= 2 && (tok[0] === '"' || tok[0] === "'") && tok[0] === tok[tok.length - 1];
    tokens.push(quoted ? { type: 'string', text: tok.slice(1, -1) } : { type: 'check', text: clean });
  }
  for (let i = end; i < tok.length; i++) tokens.push({ type: ')' });
}
