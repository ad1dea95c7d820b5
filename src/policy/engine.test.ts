import { describe, expect, it } from 'vitest';
import { PolicyEngine } from './engine.js';
import { pyFloatRepr, pyStr } from './python-values.js';

const glance = {
  restricted: "not ('ntt_3251':%(x_billing_code_ntt)s and role:member)",
  download_image: 'role:admin or rule:restricted',
};

function allows(rule: string, target: Record<string, unknown> = {}, creds: Record<string, unknown> = {}, rules: Record<string, unknown> = {}) {
  return new PolicyEngine(rules).decide(rule, target, creds).allowed;
}

describe('the Glance scenario', () => {
  const engine = new PolicyEngine(glance);
  const image = { x_billing_code_ntt: 'ntt_3251' };

  it('denies a member when the billing code matches, and says which rule and check', () => {
    const decision = engine.decide('download_image', image, { roles: ['member'] });
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain('denied by rule "download_image"');
    expect(decision.reason).toContain("rule:restricted -> not ('ntt_3251':%(x_billing_code_ntt)s and role:member)");
    expect(decision.reason).not.toContain('ntt_3251 ='); // rule text only, no values
  });

  it('allows an admin, a member of another billing code, and a member of an image without one', () => {
    expect(engine.decide('download_image', image, { roles: ['admin', 'member'] })).toEqual({ allowed: true, reason: 'allowed by rule "download_image"' });
    expect(engine.decide('download_image', { x_billing_code_ntt: 'ntt_1' }, { roles: ['member'] }).allowed).toBe(true);
    expect(engine.decide('download_image', {}, { roles: ['member'] }).allowed).toBe(true); // missing key: the check is false
  });
});

describe('checks', () => {
  it('compares roles without case, and takes role names from the target', () => {
    expect(allows('role:ADMIN', {}, { roles: ['Admin'] })).toBe(true);
    expect(allows('role:%(wanted)s', { wanted: 'Reader' }, { roles: ['reader'] })).toBe(true);
    expect(allows('role:%(wanted)s', {}, { roles: ['reader'] })).toBe(false);
    expect(allows('role:admin', {}, {})).toBe(false);
  });

  it('treats @, !, unknown rule: and a word without ":" as oslo does', () => {
    expect(allows('@')).toBe(true);
    expect(allows('!')).toBe(false);
    expect(allows('rule:nothing')).toBe(false);
    expect(allows('not rule:nothing')).toBe(true);
    expect(allows('True')).toBe(false);
    expect(allows('True or @')).toBe(true);
  });

  it('falls back to the "default" rule for unknown names, as oslo\'s policy_default_rule', () => {
    expect(allows('rule:nothing', {}, {}, { default: '@' })).toBe(true);
    expect(new PolicyEngine({ default: '@' }, { defaultRule: null }).decide('rule:nothing', {}, {}).allowed).toBe(false);
    expect(new PolicyEngine({ default: '@' }).decideRule('nothing', {}, {}).allowed).toBe(true);
    expect(new PolicyEngine({}).decideRule('nothing', {}, {})).toEqual({ allowed: false, reason: 'no rule named "nothing"' });
  });

  it('compares literals with str(value) of the target (Python spelling)', () => {
    expect(allows("'lib':%(namespace)s", { namespace: 'lib' })).toBe(true);
    expect(allows('"lib":%(namespace)s', { namespace: 'lib' })).toBe(true);
    expect(allows('True:%(flag)s', { flag: true })).toBe(true);
    expect(allows('False:%(flag)s', { flag: true })).toBe(false);
    expect(allows('None:%(x)s', { x: null })).toBe(true);
    expect(allows('123:%(n)s', { n: 123 })).toBe(true);
    expect(allows('0x10:%(n)s', { n: 16 })).toBe(true);
    expect(allows("'a' 'b':%(x)s", { x: 'ab' })).toBe(false); // whitespace splits it: two checks, unparsable
    expect(allows("'a''b':%(x)s", { x: 'ab' })).toBe(true); // adjacent literals concatenate
  });

  it('reads dotted paths into the credentials, through lists', () => {
    const creds = { user: { name: 'alice' }, groups: ['g1', 'g2'], tags: [{ k: 'v1' }, { k: 'v2' }] };
    expect(allows('user.name:alice', {}, creds)).toBe(true);
    expect(allows('user.name:%(owner)s', { owner: 'alice' }, creds)).toBe(true);
    expect(allows('groups:g2', {}, creds)).toBe(true);
    expect(allows('tags.k:v2', {}, creds)).toBe(true);
    expect(allows('user.missing:x', {}, creds)).toBe(false);
    expect(allows('nothing:x', {}, creds)).toBe(false);
  });

  it('reads %(a.b)s as the key itself first, then as a path into nested targets', () => {
    expect(allows('user_id:%(properties.owner)s', { properties: { owner: 'bob' } }, { user_id: 'bob' })).toBe(true);
    expect(allows('user_id:%(properties.owner)s', { 'properties.owner': 'eve', properties: { owner: 'bob' } }, { user_id: 'bob' })).toBe(false);
    expect(allows('not user_id:%(properties.nope)s', { properties: {} }, { user_id: 'bob' })).toBe(true);
  });

  it('copies a truthy system_scope into system, as oslo\'s enforce does', () => {
    expect(allows('system:all', {}, { system_scope: 'all' })).toBe(true);
    expect(allows('system:all', {}, { system_scope: '', system: 'all' })).toBe(true);
  });
});

describe('errors deny, even under not and or (oslo raises out of the whole decision)', () => {
  it.each([
    ['not 1abc:%(x)s', { x: 1 }, {}],
    ['not role:100%', {}, { roles: [] }],
    ['user_id:%(x)d or @', { x: 'a' }, {}],
    ['user_id:%(x)x or @', { x: 1.5 }, {}],
    ['user_id:%(x)c or @', { x: 'ab' }, {}],
    ['user_id:%(x)e or @', { x: 1 }, {}],
    ['not role:a', {}, { roles: [1] }],
    ['not role:a', {}, { roles: null }],
    ['not http://example.com', {}, {}],
    ['not user.name.first:x', {}, { user: { name: 'alice' } }],
    ['rule:loop or @', {}, {}],
  ])('%s', (rule, target, creds) => {
    const decision = new PolicyEngine({ loop: 'rule:loop' }).decide(rule, target, creds);
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toContain('cannot be evaluated');
  });

  it('formats %(x)d as Python does', () => {
    expect(allows('user_id:%(x)d', { x: 7.9 }, { user_id: '7' })).toBe(true);
    expect(allows('user_id:%(x)d', { x: true }, { user_id: '1' })).toBe(true);
    expect(allows('user_id:%(x)X', { x: 255 }, { user_id: 'FF' })).toBe(true);
    expect(allows('user_id:%(x)f', { x: 2 }, { user_id: '2.000000' })).toBe(true);
    expect(allows('user_id:%(x)c', { x: 65 }, { user_id: 'A' })).toBe(true);
  });

  it('is still false, not an error, when the key is missing first', () => {
    expect(allows('not 1abc:%(missing)s')).toBe(true);
  });

  it('denies non-object targets and credentials', () => {
    expect(new PolicyEngine({}).decide('@', null, {}).allowed).toBe(false);
    expect(new PolicyEngine({}).decide('@', {}, []).allowed).toBe(false);
  });
});

describe('load-time problems', () => {
  it('names each broken rule and what is wrong with it', () => {
    const engine = new PolicyEngine({ ok: 'role:a', bad: 'role:a and', word: 'foo', ref: 'rule:missing', loop: 'rule:loop', fmt: 'role:%(x)g', lone: 'or', nil: null });
    const byRule = (name: string) => engine.problems.filter((p) => p.rule === name).map((p) => p.message).join(' | ');
    expect(byRule('ok')).toBe('');
    expect(byRule('bad')).toMatch(/cannot parse.*the rule denies/);
    expect(byRule('word')).toMatch(/not a check/);
    expect(byRule('ref')).toMatch(/rule:missing refers to no rule \(it is false\)/);
    expect(byRule('loop')).toMatch(/refers back to itself/);
    expect(byRule('fmt')).toMatch(/unsupported format/);
    expect(byRule('lone')).toMatch(/alone is not a rule/);
    expect(byRule('nil')).toMatch(/not null/);
    for (const name of ['bad', 'word', 'loop', 'fmt', 'lone', 'nil']) expect(engine.decide(name, { x: 1 }, { roles: ['a'] }).allowed).toBe(false);
  });
});

describe('malformed input never crashes and a rule that cannot be parsed never allows', () => {
  it('survives random text', () => {
    const alphabet = ['(', ')', ' ', 'and', 'or', 'not', '@', '!', 'role:a', ':', '%', '%(', "'", '"', 'rule:x', '\t', 'x', ')s'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let unparsable = 0;
    for (let i = 0; i < 3000; i++) {
      const rule = Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const engine = new PolicyEngine({ x: '@', r: rule });
      const decision = engine.decide('r', { a: 1 }, { roles: ['a'] });
      if (engine.problems.some((p) => /cannot parse|alone is not a rule/.test(p.message))) {
        unparsable++;
        expect(decision.allowed, rule).toBe(false);
      }
    }
    // The generator must reach the case under test, or the loop asserts nothing.
    expect(unparsable).toBeGreaterThan(1000);
  });
});

describe('Python spelling of values', () => {
  it('prints values as str() does after json.loads', () => {
    expect(pyStr([1, 'a', true, null, { "it's": 'x' }])).toBe(`[1, 'a', True, None, {"it's": 'x'}]`);
    expect([0.1, 1.5, 1e16, 1e-5, 123456.789, -2.5e-7].map(pyFloatRepr)).toEqual(['0.1', '1.5', '1e+16', '1e-05', '123456.789', '-2.5e-07']);
  });
});

describe('targetKeys: what a rule reads of the target', () => {
  const engine = new PolicyEngine({
    restricted: "not ('ntt_3251':%(x_billing_code_ntt)s and role:member)",
    download_image: 'role:admin or rule:restricted',
    owner: 'user_id:%(properties.owner)s or project_id:%(namespace)s',
    loop_a: 'rule:loop_b or role:%(tag)s',
    loop_b: 'rule:loop_a',
    default: 'scan_state:%(scan_state)s',
    plain: 'role:reader',
  });

  it('follows rule: references, and cycles end', () => {
    expect([...engine.targetKeys('download_image')]).toEqual(['x_billing_code_ntt']);
    expect([...engine.targetKeys('owner')].sort()).toEqual(['namespace', 'properties.owner']);
    expect([...engine.targetKeys('loop_a')]).toEqual(['tag']);
    expect([...engine.targetKeys('plain')]).toEqual([]);
  });

  it('an undefined name reads what the default rule reads', () => {
    expect([...engine.targetKeys('no_such_rule')]).toEqual(['scan_state']);
    expect([...new PolicyEngine({ a: 'role:x' }).targetKeys('missing')]).toEqual([]);
  });
});
