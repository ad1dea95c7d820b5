// Seeded random policy cases for the differential test against oslo.policy: rule sets
// with nested and/or/not, role checks in mixed case, generic checks over present,
// missing and nested keys, literals, rule: references (defined or not), @ and !, the
// list form, and some deliberately malformed rules. The same seed gives the same cases.

export interface PolicyCase {
  rules: Record<string, unknown>;
  /** A rule name from `rules`, or rule text. */
  rule: string;
  target: Record<string, unknown>;
  creds: Record<string, unknown>;
}

type Random = () => number;

/** mulberry32: small, fast and good enough to spread test cases. */
function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Picker {
  constructor(readonly random: Random) {}
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }
  subset<T>(items: readonly T[], p = 0.5): T[] {
    return items.filter(() => this.chance(p));
  }
}

const roles = ['admin', 'maintainer', 'member', 'reader', '_member_'];
const ruleNames = ['r0', 'r1', 'r2', 'r3'];
const targetKeys = ['namespace', 'owner', 'x_billing_code_ntt', 'count', 'flag', 'nothing', 'role_name', 'dotted.key', 'properties.owner', 'properties.level.deep', 'nope', 'properties.nope'];
const credPaths = ['user_id', 'project_id', 'user.name', 'user.enabled', 'groups', 'tags.k', 'count', 'missing', 'system', 'user.missing'];
const literals = ['alice', 'bob', 'g1', 'v2', 'True', 'False', '123', 'lib', 'ntt_3251'];
const literalKindChecks = [
  "'ntt_3251':%(x_billing_code_ntt)s", "'ntt_3251':%(properties.x_billing_code_ntt)s", '"alice":%(owner)s', 'True:%(flag)s',
  'False:%(flag)s', '123:%(count)s', 'None:%(nothing)s', "'member':%(role_name)s", "'lib':%(namespace)s", "'x':%(nope)s",
  '1_2_3:%(count)s', '0o173:%(count)s', '0x7B:%(count)s', '-0:%(count)s', '+123:%(count)s', '123.0:%(count)s',
  "r'al\\ice':%(owner)s", "u'alice':%(owner)s", '"ali""ce":%(owner)s', "'al\\x69ce':%(owner)s", 'project-id:%(namespace)s',
  'user.enabled:True', 'user.enabled:%(flag)s', "'%(owner)s':%(owner)s", 'user_id:%%(owner)s', "'a%%':%(owner)s",
];
const malformedAtoms = ['foo', 'True', ':x', '1abc:%(owner)s', 'role:100%', "'quoted'", 'user_id:%(owner)d', 'user_id:%(count)d', 'user_id:%(count)x', 'user_id:%(flag)o', 'user_id:%(owner)x', 'user_id:%(count)f', 'user_id:%(count)c', 'user_id:%(owner)c', 'http:x', 'rule', 'role:'];
const spaces = [' ', ' ', ' ', '  ', '\t', '\n', ' \n ', '\u00a0', '\x1c', '\u3000'];

function mixCase(p: Picker, word: string): string {
  return p.pick([word, word, word.toUpperCase(), word[0]?.toUpperCase() + word.slice(1)]);
}

function atom(p: Picker): string {
  const roll = p.random();
  if (roll < 0.3) return `role:${mixCase(p, p.pick(roles))}`;
  if (roll < 0.35) return p.pick(['role:%(role_name)s', 'role:%(nope)s']);
  if (roll < 0.47) return `rule:${p.pick([...ruleNames, 'undefined_rule'])}`;
  if (roll < 0.53) return p.pick(['@', '!']);
  if (roll < 0.75) return `${p.pick(credPaths)}:${p.chance(0.6) ? `%(${p.pick(targetKeys)})s` : p.pick(literals)}`;
  if (roll < 0.94) return p.pick(literalKindChecks);
  return p.pick(malformedAtoms);
}

function expression(p: Picker, depth: number): string {
  if (depth === 0 || p.chance(0.3)) return atom(p);
  const space = () => p.pick(spaces);
  const sub = () => expression(p, depth - 1);
  const roll = p.random();
  if (roll < 0.2) return `${mixCase(p, 'not')}${space()}${sub()}`;
  if (roll < 0.4) return p.chance(0.5) ? `(${sub()})` : `(${space()}${sub()}${space()})`;
  const operator = mixCase(p, roll < 0.7 ? 'and' : 'or');
  const operands = Array.from({ length: p.chance(0.7) ? 2 : 3 }, sub);
  return operands.join(`${space()}${operator}${space()}`);
}

function malform(p: Picker, rule: string): string {
  return p.pick([
    () => `(${rule}`,
    () => `${rule})`,
    () => `${rule} and`,
    () => `or ${rule}`,
    () => `${rule} ${atom(p)}`,
    () => `${rule} and ()`,
    () => `not`,
    () => p.pick(['and', '(', ')', "'a'", '   ']),
    () => rule.replace(' and ', ' and and '),
  ])();
}

function rule(p: Picker, depth: number): string {
  const text = expression(p, depth);
  return p.chance(0.08) ? malform(p, text) : text;
}

function listRule(p: Picker): unknown[] {
  if (p.chance(0.1)) return [];
  return Array.from({ length: 1 + Math.floor(p.random() * 3) }, () => (p.chance(0.3) ? atom(p) : Array.from({ length: 1 + Math.floor(p.random() * 2) }, () => atom(p))));
}

function ruleSet(p: Picker): Record<string, unknown> {
  const rules: Record<string, unknown> = {};
  for (const name of ruleNames.slice(0, 2 + Math.floor(p.random() * 3))) {
    rules[name] = p.chance(0.1) ? listRule(p) : p.chance(0.04) ? '' : rule(p, 2);
  }
  if (p.chance(0.15)) rules['default'] = p.pick(['@', '!', 'role:admin', rule(p, 1)]);
  return rules;
}

function target(p: Picker): Record<string, unknown> {
  const values: Record<string, () => unknown> = {
    namespace: () => p.pick(['lib', 'team-a']),
    owner: () => p.pick(['alice', 'bob']),
    x_billing_code_ntt: () => p.pick(['ntt_3251', 'ntt_9']),
    count: () => p.pick([0, 1, 123]),
    flag: () => p.pick([true, false]),
    nothing: () => null,
    role_name: () => p.pick(['member', 'Admin', 'READER']),
    'dotted.key': () => p.pick(['alice', 'g1']),
    properties: () => ({ ...(p.chance(0.7) ? { owner: p.pick(['alice', 'bob']) } : {}), ...(p.chance(0.5) ? { x_billing_code_ntt: 'ntt_3251' } : {}), level: { deep: p.pick(['v1', 'v2']) } }),
  };
  return Object.fromEntries(Object.entries(values).filter(() => p.chance(0.7)).map(([key, make]) => [key, make()]));
}

function creds(p: Picker): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.chance(0.9)) out['roles'] = p.subset(roles, 0.35).map((role) => mixCase(p, role));
  if (p.chance(0.02)) out['roles'] = 'admin';
  if (p.chance(0.7)) out['user_id'] = p.pick(['alice', 'bob']);
  if (p.chance(0.5)) out['project_id'] = p.pick(['lib', 'team-a']);
  if (p.chance(0.6)) out['user'] = { name: p.pick(['alice', 'bob']), enabled: p.pick([true, false]) };
  if (p.chance(0.5)) out['groups'] = p.subset(['g1', 'g2', 'g3']);
  if (p.chance(0.4)) out['tags'] = [{ k: 'v1' }, { k: p.pick(['v2', 'v3']) }];
  if (p.chance(0.3)) out['count'] = p.pick([123, '123', 0]);
  if (p.chance(0.1)) out['system_scope'] = p.pick(['all', '', 'lib']);
  return out;
}

export function generateCases(seed: number, count: number): PolicyCase[] {
  const p = new Picker(seeded(seed));
  return Array.from({ length: count }, () => {
    const rules = ruleSet(p);
    const roll = p.random();
    const name = roll < 0.5 ? p.pick(Object.keys(rules)) : roll < 0.55 ? 'undefined_rule' : rule(p, 3);
    return { rules, rule: name, target: target(p), creds: creds(p) };
  });
}
