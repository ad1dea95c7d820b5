import { describe, expect, it } from 'vitest';
import { ruleText } from './ast.js';
import { parseRule, parseTextRule } from './parser.js';
import { tokenize } from './tokenizer.js';

const text = (rule: unknown) => ruleText(parseRule(rule).node);

describe('tokenize', () => {
  it('peels parentheses off words but keeps those inside a check', () => {
    expect(tokenize('((role:a) or tenant:%(project_id)s)')).toEqual([
      { type: '(' }, { type: '(' }, { type: 'check', text: 'role:a' }, { type: ')' },
      { type: 'or' }, { type: 'check', text: 'tenant:%(project_id)s' }, { type: ')' },
    ]);
  });

  it('lower-cases operators and splits at any Python whitespace', () => {
    expect(tokenize('NOT\trole:a\nAnd\u00a0role:b\u2003oR\x1crole:c').map((t) => t.type)).toEqual(['not', 'check', 'and', 'check', 'or', 'check']);
  });

  it('keeps a quoted word as a string, judging the quotes before trailing ) are removed', () => {
    expect(tokenize("'abc'")).toEqual([{ type: 'string', text: 'abc' }]);
    expect(tokenize("('abc')")).toEqual([{ type: '(' }, { type: 'check', text: "'abc'" }, { type: ')' }]);
    expect(tokenize("'a':%(x)s")).toEqual([{ type: 'check', text: "'a':%(x)s" }]);
  });
});

describe('parseTextRule', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(text('a:1 or b:2 and c:3')).toBe('(a:1 or (b:2 and c:3))');
    expect(text('a:1 and b:2 or c:3 and d:4')).toBe('((a:1 and b:2) or (c:3 and d:4))');
    expect(text('not a:1 and b:2')).toBe('(not a:1 and b:2)');
    expect(text('not (a:1 and b:2) or c:3')).toBe('(not (a:1 and b:2) or c:3)');
    expect(text('not not a:1')).toBe('not not a:1');
    expect(text('a:1 or not b:2 and c:3 or d:4')).toBe('(a:1 or (not b:2 and c:3) or d:4)');
  });

  it('reads the special checks and check kinds', () => {
    expect(parseTextRule('@').node).toEqual({ type: 'true' });
    expect(parseTextRule('!').node).toEqual({ type: 'false' });
    expect(parseTextRule('').node).toEqual({ type: 'true' }); // oslo: an empty rule always passes
    expect(parseTextRule('role:Admin').node).toEqual({ type: 'role', match: 'Admin' });
    expect(parseTextRule('rule:a:b').node).toEqual({ type: 'rule', name: 'a:b' });
    expect(parseTextRule('Role:admin').node).toEqual({ type: 'generic', kind: 'Role', match: 'admin' });
    expect(parseTextRule("'x':%(y)s").node).toEqual({ type: 'generic', kind: "'x'", match: '%(y)s' });
  });

  it('makes a word without ":" a false check, reported, as oslo does (True is one)', () => {
    const parsed = parseTextRule('True or @');
    expect(ruleText(parsed.node)).toBe('(True or @)');
    expect(parsed.problems.join()).toMatch(/"True" is not a check/);
  });

  it.each([
    '(role:a', 'role:a)', 'role:a and', 'or role:a', 'role:a role:b', '()', 'not not', 'role:a and and role:b',
    "role:a or 'quoted'", '   ', '( )', 'role:a not role:b',
  ])('fails closed on %j and says why', (rule) => {
    const parsed = parseTextRule(rule);
    expect(parsed.node).toEqual({ type: 'false' });
    expect(parsed.problems.join()).toMatch(/cannot parse/);
  });

  it('marks a rule that is one non-check token as broken (oslo raises on it)', () => {
    for (const rule of ['and', '(', ')', "'a'"]) expect(parseTextRule(rule).node.type).toBe('broken');
  });

  it('survives hostile nesting without overflowing the stack', () => {
    expect(parseTextRule(`${'('.repeat(100_000)}@${')'.repeat(100_000)}`).node).toEqual({ type: 'false' });
    expect(parseTextRule(`${'not '.repeat(100_000)}@`).node).toEqual({ type: 'false' });
    expect(ruleText(parseTextRule(`${'('.repeat(50)}@${')'.repeat(50)}`).node)).toBe('@');
  });
});

describe('parseRule (list form and junk)', () => {
  it('ORs the outer list and ANDs the inner ones, atoms taken whole', () => {
    expect(text([['role:a', 'role:b'], ['role:c']])).toBe('((role:a and role:b) or role:c)');
    expect(text(['role:a and role:b'])).toBe('role:a and role:b');
    expect(parseRule(['role:a and role:b']).node).toEqual({ type: 'role', match: 'a and role:b' });
  });

  it('treats an empty list as always true and a list of empty lists as false', () => {
    expect(parseRule([]).node).toEqual({ type: 'true' });
    expect(parseRule([[], '']).node).toEqual({ type: 'false' });
  });

  it.each([null, 5, true, { a: 'b' }, [5], [[null]]])('denies %j and reports it', (rule) => {
    const parsed = parseRule(rule);
    expect(['false', 'and', 'or']).toContain(parsed.node.type);
    expect(parsed.problems.length).toBeGreaterThan(0);
  });
});
