// Parses oslo.policy rules: the text language (`role:admin or not rule:x`) by recursive
// descent with oslo's precedence (`not` over `and` over `or`), and the old list-of-lists
// form (`[["role:a", "role:b"], ["@"]]`: outer list ORed, inner lists ANDed). Whatever
// oslo cannot parse becomes `!` here too, with the problem said in words.
import type { ParsedRule, PolicyNode } from './ast.js';
import { tokenize, type Token } from './tokenizer.js';

/** Parses a rule as it comes from a policy file: a string, a list of lists, or junk. */
export function parseRule(rule: unknown): ParsedRule {
  if (typeof rule === 'string') return parseTextRule(rule);
  if (Array.isArray(rule)) return parseListRule(rule);
  const what = rule === null ? 'null' : typeof rule;
  return { node: { type: 'false' }, problems: [`a rule must be a string or a list of lists, not ${what}; it denies`] };
}

export function parseTextRule(rule: string): ParsedRule {
  if (rule === '') return { node: { type: 'true' }, problems: [] }; // oslo: an empty rule always passes
  const tokens = tokenize(rule);
  if (tokens.length === 1 && tokens[0]?.type !== 'check') {
    // oslo's parser returns the bare token itself, and enforcing it raises.
    return broken(`${describe(tokens[0])} alone is not a rule`);
  }
  const parser = new TokenParser(tokens);
  try {
    const node = parser.parseAll();
    return { node, problems: parser.problems };
  } catch (err) {
    if (!(err instanceof RuleSyntaxError)) throw err;
    return { node: { type: 'false' }, problems: [`cannot parse: ${err.message}; the rule denies`] };
  }
}

function broken(message: string): ParsedRule {
  return { node: { type: 'broken', message }, problems: [`${message}; evaluating it is an error, so it denies`] };
}

/** One check word (`role:admin`, `@`, `tenant:%(tenant_id)s`), as oslo's `_parse_check`. */
export function parseCheck(text: string, problems: string[]): PolicyNode {
  if (text === '!') return { type: 'false' };
  if (text === '@') return { type: 'true' };
  const colon = text.indexOf(':');
  if (colon < 0) {
    problems.push(`${JSON.stringify(text)} is not a check (no ':'); it is false`);
    return { type: 'false', source: text };
  }
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (kind === 'http' || kind === 'https') {
    problems.push(`${kind}: checks (calls to an external server) are not supported; evaluating one is an error`);
    return { type: 'external', kind, match };
  }
  if (kind === 'rule') return { type: 'rule', name: match };
  if (kind === 'role') return { type: 'role', match };
  return { type: 'generic', kind, match };
}

function parseListRule(rule: unknown[]): ParsedRule {
  if (rule.length === 0) return { node: { type: 'true' }, problems: [] };
  const problems: string[] = [];
  const alternatives: PolicyNode[] = [];
  for (const inner of rule) {
    if (inner === '' || (Array.isArray(inner) && inner.length === 0)) continue;
    if (typeof inner !== 'string' && !Array.isArray(inner)) {
      return { node: { type: 'false' }, problems: [`a list rule holds ${inner === null ? 'null' : typeof inner}; the rule denies`] };
    }
    const checks = (typeof inner === 'string' ? [inner] : inner).map((atom: unknown) => listAtom(atom, problems));
    alternatives.push(checks.length === 1 && checks[0] ? checks[0] : { type: 'and', operands: checks });
  }
  if (alternatives.length === 0) return { node: { type: 'false' }, problems };
  return { node: alternatives.length === 1 && alternatives[0] ? alternatives[0] : { type: 'or', operands: alternatives }, problems };
}

function listAtom(atom: unknown, problems: string[]): PolicyNode {
  if (typeof atom === 'string') return parseCheck(atom, problems);
  problems.push(`a list rule holds ${JSON.stringify(atom)}, which is not a check; it is false`);
  return { type: 'false' };
}

class RuleSyntaxError extends Error {}

const maxNesting = 200;

function describe(token: Token | undefined): string {
  if (!token) return 'the end of the rule';
  if (token.type === 'check') return JSON.stringify(token.text);
  if (token.type === 'string') return `the quoted string ${JSON.stringify(token.text)}`;
  return `'${token.type}'`;
}

class TokenParser {
  readonly problems: string[] = [];
  private at = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parseAll(): PolicyNode {
    const node = this.parseOr();
    if (this.at < this.tokens.length) this.fail(`unexpected ${describe(this.tokens[this.at])}`);
    return node;
  }

  private parseOr(): PolicyNode {
    return this.parseChain('or', () => this.parseAnd());
  }

  private parseAnd(): PolicyNode {
    return this.parseChain('and', () => this.parseUnary());
  }

  private parseChain(operator: 'and' | 'or', operand: () => PolicyNode): PolicyNode {
    const operands = [operand()];
    while (this.tokens[this.at]?.type === operator) {
      this.at++;
      operands.push(operand());
    }
    return operands.length === 1 && operands[0] ? operands[0] : { type: operator, operands };
  }

  private parseUnary(): PolicyNode {
    if (this.tokens[this.at]?.type === 'not') {
      this.at++;
      return { type: 'not', operand: this.nested(() => this.parseUnary()) };
    }
    return this.parsePrimary();
  }

  /** Bounds the recursion so that a hostile rule is a parse error, not a stack overflow. */
  private nested(parse: () => PolicyNode): PolicyNode {
    if (++this.depth > maxNesting) this.fail(`nested deeper than ${maxNesting} levels`);
    const node = parse();
    this.depth--;
    return node;
  }

  private parsePrimary(): PolicyNode {
    const token = this.tokens[this.at];
    if (token?.type === 'check') {
      this.at++;
      return parseCheck(token.text, this.problems);
    }
    if (token?.type === '(') {
      this.at++;
      const inner = this.nested(() => this.parseOr());
      if (this.tokens[this.at]?.type !== ')') this.fail(`expected ')' but found ${describe(this.tokens[this.at])}`);
      this.at++;
      return inner;
    }
    return this.fail(`expected a check, 'not' or '(' but found ${describe(token)}`);
  }

  private fail(message: string): never {
    throw new RuleSyntaxError(`${message} (token ${this.at + 1} of ${this.tokens.length})`);
  }
}
