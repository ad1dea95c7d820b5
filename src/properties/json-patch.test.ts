import { describe, expect, it } from 'vitest';
import { planPropertyPatch, PropertyPatchError, propertyPatchLimits, type PropertyChange } from './json-patch.js';

const current = { owner: 'team-a', x_billing_code_ntt: 'ntt_3251' };

function failure(patch: unknown, properties: Record<string, string> = current): PropertyPatchError {
  try {
    planPropertyPatch(properties, patch);
  } catch (err) {
    if (err instanceof PropertyPatchError) return err;
    throw err;
  }
  throw new Error(`the patch applied: ${JSON.stringify(patch)}`);
}

describe('ops on a flat map', () => {
  it('plans the Glance example: add a property, remove another', () => {
    const plan = planPropertyPatch(current, [
      { op: 'add', path: '/x_billing_code_ibm', value: 'ibm_1' },
      { op: 'remove', path: '/owner' },
    ]);
    expect(plan.changes).toEqual<PropertyChange[]>([
      { kind: 'create', name: 'x_billing_code_ibm', value: 'ibm_1' },
      { kind: 'delete', name: 'owner' },
    ]);
    expect(plan.result).toEqual({ x_billing_code_ntt: 'ntt_3251', x_billing_code_ibm: 'ibm_1' });
  });

  it('add over an existing member is an update; replace needs the member', () => {
    expect(planPropertyPatch(current, [{ op: 'add', path: '/owner', value: 'b' }]).changes).toEqual([{ kind: 'update', name: 'owner', value: 'b' }]);
    expect(planPropertyPatch(current, [{ op: 'replace', path: '/owner', value: 'c' }]).result['owner']).toBe('c');
    const missing = failure([{ op: 'replace', path: '/nope', value: 'c' }]);
    expect(missing.kind).toBe('conflict');
    expect(missing.opIndex).toBe(0);
    expect(missing.message).toBe('op 0 (replace "/nope"): property "nope" does not exist (add creates a property)');
  });

  it('remove needs the member', () => {
    const err = failure([{ op: 'add', path: '/a', value: '1' }, { op: 'remove', path: '/b' }]);
    expect([err.kind, err.opIndex, err.message]).toEqual(['conflict', 1, 'op 1 (remove "/b"): property "b" does not exist']);
  });

  it('test passes on an equal string and fails the whole patch otherwise', () => {
    const plan = planPropertyPatch(current, [
      { op: 'test', path: '/owner', value: 'team-a' },
      { op: 'replace', path: '/owner', value: 'team-b' },
      { op: 'test', path: '/owner', value: 'team-b' },
    ]);
    expect(plan.changes).toEqual([{ kind: 'update', name: 'owner', value: 'team-b' }]);
    const differs = failure([{ op: 'test', path: '/owner', value: 'team-b' }]);
    expect([differs.kind, differs.message]).toEqual(['conflict', 'op 0 (test "/owner"): test failed: property "owner" holds a different value']);
    expect(failure([{ op: 'test', path: '/absent', value: '' }]).kind).toBe('conflict');
    expect(failure([{ op: 'test', path: '/owner', value: 1 }]).kind).toBe('invalid'); // values are strings
  });

  it('move is remove + add; onto itself it changes nothing', () => {
    expect(planPropertyPatch(current, [{ op: 'move', from: '/owner', path: '/team' }])).toEqual({
      changes: [{ kind: 'delete', name: 'owner' }, { kind: 'create', name: 'team', value: 'team-a' }],
      result: { x_billing_code_ntt: 'ntt_3251', team: 'team-a' },
    });
    expect(planPropertyPatch(current, [{ op: 'move', from: '/owner', path: '/x_billing_code_ntt' }]).changes).toEqual([
      { kind: 'delete', name: 'owner' },
      { kind: 'update', name: 'x_billing_code_ntt', value: 'team-a' },
    ]);
    expect(planPropertyPatch(current, [{ op: 'move', from: '/owner', path: '/owner' }])).toEqual({ changes: [], result: current });
    const err = failure([{ op: 'move', from: '/nope', path: '/x' }]);
    expect([err.kind, err.message]).toEqual(['conflict', 'op 0 (move "/x"): "from" property "nope" does not exist']);
  });

  it('copy is an add of the source value', () => {
    expect(planPropertyPatch(current, [{ op: 'copy', from: '/owner', path: '/team' }]).changes).toEqual([{ kind: 'create', name: 'team', value: 'team-a' }]);
    expect(failure([{ op: 'copy', from: '/nope', path: '/team' }]).kind).toBe('conflict');
  });

  it('applies ops in order, each seeing the ones before it', () => {
    const plan = planPropertyPatch({}, [
      { op: 'add', path: '/a', value: '1' },
      { op: 'add', path: '/a', value: '2' },
      { op: 'test', path: '/a', value: '2' },
      { op: 'remove', path: '/a' },
      { op: 'add', path: '/a', value: '3' },
    ]);
    expect(plan.changes.map((c) => c.kind)).toEqual(['create', 'update', 'delete', 'create']);
    expect(plan.result).toEqual({ a: '3' });
  });

  it('an empty patch changes nothing', () => {
    expect(planPropertyPatch(current, [])).toEqual({ changes: [], result: current });
  });
});

describe('atomicity', () => {
  it('a failing op leaves the current properties and returns nothing', () => {
    const properties = { a: '1' };
    const snapshot = structuredClone(properties);
    failure([{ op: 'remove', path: '/a' }, { op: 'add', path: '/b', value: '2' }, { op: 'test', path: '/a', value: '1' }], properties);
    expect(properties).toEqual(snapshot);
  });

  it('never mutates the input even on success', () => {
    const properties = Object.freeze({ a: '1' });
    planPropertyPatch(properties, [{ op: 'remove', path: '/a' }, { op: 'add', path: '/b', value: '2' }]);
    expect(properties).toEqual({ a: '1' });
  });

  it('checks every op before applying: a malformed last op fails the patch as invalid', () => {
    const err = failure([{ op: 'remove', path: '/nope' }, { op: 'bogus', path: '/a' }]);
    expect([err.kind, err.opIndex]).toEqual(['invalid', 1]);
  });
});

describe('paths (RFC 6901, one level)', () => {
  it('unescapes ~1 and ~0, once and in that order, then checks the name', () => {
    // "~01" is "~1" literally (not "/"): the name then holds "~", which names may not.
    expect(failure([{ op: 'add', path: '/a~01', value: 'x' }]).message).toContain('"a~1" is not a property name');
    expect(failure([{ op: 'add', path: '/a~1b', value: 'x' }]).message).toContain('"a/b" is not a property name');
  });

  it.each([
    ['', 'names the whole property map'],
    ['/', 'names no property'],
    ['owner', 'must start with "/"'],
    ['/a/b', 'is nested'],
    ['/a/', 'is nested'],
    ['//a', 'is nested'],
    ['/a~2', 'not "~0" or "~1"'],
    ['/a~', 'not "~0" or "~1"'],
    ['/-a', 'is not a property name'],
    ['/.a', 'is not a property name'],
    ['/a b', 'is not a property name'],
    ['/é', 'is not a property name'],
    ['/a\u0000', 'is not a property name'],
    ['/a\n', 'is not a property name'],
    [`/${'a'.repeat(256)}`, 'is not a property name'],
  ])('rejects the path %j (%s)', (path, message) => {
    const err = failure([{ op: 'add', path, value: 'x' }]);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain(message);
  });

  it('takes names with . : - _ and up to 255 characters', () => {
    const names = ['a', '_', '0', 'org.opencontainers.image.source', 'com.example:tier', 'hw_disk-bus', 'a'.repeat(255)];
    const plan = planPropertyPatch({}, names.map((name) => ({ op: 'add', path: `/${name}`, value: 'v' })));
    expect(Object.keys(plan.result).sort()).toEqual([...names].sort()); // objects list integer-like keys ("0") first
  });

  it('checks "from" as it checks "path"', () => {
    expect(failure([{ op: 'move', from: '/a/b', path: '/c' }]).message).toContain('"from" is nested');
    expect(failure([{ op: 'copy', from: 'a', path: '/c' }]).message).toContain('"from" must start with "/"');
  });
});

describe('values', () => {
  it('takes any string up to 64 KiB of UTF-8, the empty string included', () => {
    const max = 'a'.repeat(propertyPatchLimits.maxValueBytes);
    expect(planPropertyPatch({}, [{ op: 'add', path: '/a', value: max }, { op: 'add', path: '/b', value: '' }, { op: 'add', path: '/c', value: 'é\n\t😀' }]).result).toEqual({
      a: max,
      b: '',
      c: 'é\n\t😀',
    });
  });

  it('counts bytes, not characters', () => {
    const twoByteChars = 'é'.repeat(propertyPatchLimits.maxValueBytes / 2 + 1);
    expect(failure([{ op: 'add', path: '/a', value: twoByteChars }]).message).toContain('"value" is 65538 bytes; at most 65536');
    expect(failure([{ op: 'replace', path: '/owner', value: 'a'.repeat(propertyPatchLimits.maxValueBytes + 1) }]).kind).toBe('invalid');
  });

  it('refuses what PostgreSQL text cannot hold: NUL and unpaired surrogates', () => {
    expect(failure([{ op: 'add', path: '/a', value: 'a\u0000b' }]).message).toContain('NUL');
    expect(failure([{ op: 'add', path: '/a', value: JSON.parse('"\\ud800"') }]).message).toContain('unpaired');
    expect(failure([{ op: 'add', path: '/a', value: 'x\udc00' }]).message).toContain('unpaired');
  });
});

describe('malformed bodies', () => {
  it.each<[string, unknown, string]>([
    ['an object', { op: 'add', path: '/a', value: 'x' }, 'must be a JSON array'],
    ['null', null, 'must be a JSON array'],
    ['a string', '[]', 'must be a JSON array'],
    ['a number', 1, 'must be a JSON array'],
  ])('rejects a body that is %s', (_what, body, message) => {
    const err = failure(body);
    expect([err.kind, err.opIndex]).toEqual(['invalid', null]);
    expect(err.message).toContain(message);
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'must be a JSON object'],
    ['a number', 3, 'must be a JSON object'],
    ['an array', ['add', '/a'], 'must be a JSON object'],
    ['a string', 'add', 'must be a JSON object'],
    ['no op', { path: '/a', value: 'x' }, '"op" must be one of add, replace, test, remove, move, copy'],
    ['an unknown op', { op: 'merge', path: '/a', value: 'x' }, 'not "merge"'],
    ['an op in capitals', { op: 'ADD', path: '/a', value: 'x' }, 'not "ADD"'],
    ['an op that is not a string', { op: ['add'], path: '/a', value: 'x' }, 'not ["add"]'],
    ['no path', { op: 'add', value: 'x' }, '"path" is required'],
    ['a numeric path', { op: 'remove', path: 1 }, '"path" must be a string'],
    ['no value', { op: 'add', path: '/a' }, '"value" is required'],
    ['a null value', { op: 'add', path: '/a', value: null }, '"value" must be a string'],
    ['a numeric value', { op: 'replace', path: '/owner', value: 42 }, '"value" must be a string'],
    ['a boolean value', { op: 'add', path: '/a', value: true }, '"value" must be a string'],
    ['a nested value', { op: 'add', path: '/a', value: { b: 'c' } }, '"value" must be a string'],
    ['an array value', { op: 'add', path: '/a', value: ['c'] }, '"value" must be a string'],
    ['an extra member', { op: 'add', path: '/a', value: 'x', vaule: 'y' }, 'add: Unrecognized key: "vaule"'],
    ['a value on remove', { op: 'remove', path: '/owner', value: 'x' }, 'Unrecognized key: "value"'],
    ['from on add', { op: 'add', path: '/a', from: '/owner', value: 'x' }, 'Unrecognized key: "from"'],
    ['move without from', { op: 'move', path: '/a' }, '"from" is required'],
  ])('rejects an op that is %s', (_what, op, message) => {
    const err = failure([{ op: 'add', path: '/ok', value: 'x' }, op]);
    expect([err.kind, err.opIndex]).toEqual(['invalid', 1]);
    expect(err.message).toContain(`op 1: `);
    expect(err.message).toContain(message);
  });

  it(`takes ${propertyPatchLimits.maxOperations} ops and refuses one more`, () => {
    const ops = Array.from({ length: propertyPatchLimits.maxOperations }, (_, i) => ({ op: 'add', path: `/p${i}`, value: 'v' }));
    expect(planPropertyPatch({}, ops).changes).toHaveLength(500);
    const err = failure([...ops, { op: 'add', path: '/one_more', value: 'v' }]);
    expect([err.kind, err.opIndex, err.message]).toEqual(['invalid', null, 'the patch has 501 operations; at most 500 are allowed']);
  });

  it('keeps error messages short when the body holds huge strings', () => {
    const err = failure([{ op: 'x'.repeat(100_000), path: '/a' }]);
    expect(err.message.length).toBeLessThan(200);
    expect(failure([{ op: 'add', path: `/${'a'.repeat(100_000)}`, value: 'v' }]).message.length).toBeLessThan(400);
  });
});

describe('prototype names are ordinary names', () => {
  it('adds, reads and removes "__proto__", "constructor", "prototype", "toString", "hasOwnProperty"', () => {
    const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
    const plan = planPropertyPatch({}, JSON.parse(JSON.stringify(names.map((name) => ({ op: 'add', path: `/${name}`, value: `v-${name}` })))));
    expect(plan.changes.every((c) => c.kind === 'create')).toBe(true);
    expect(Object.keys(plan.result)).toEqual(names);
    expect(Object.getPrototypeOf(plan.result)).toBeNull();
    expect(plan.result['__proto__']).toBe('v-__proto__');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('v-__proto__');
  });

  it('does not see inherited members as existing properties', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(failure([{ op: 'remove', path: `/${name}` }], {}).kind).toBe('conflict');
      expect(failure([{ op: 'replace', path: `/${name}`, value: 'x' }], {}).kind).toBe('conflict');
      expect(failure([{ op: 'test', path: `/${name}`, value: '[object Object]' }], {}).kind).toBe('conflict');
      expect(planPropertyPatch({}, [{ op: 'add', path: `/${name}`, value: 'x' }]).changes[0]!.kind).toBe('create');
    }
  });

  it('reads an own "__proto__" member of the current properties as a property', () => {
    const withProto = JSON.parse('{"__proto__": "p", "a": "1"}') as Record<string, string>;
    const plan = planPropertyPatch(withProto, [{ op: 'test', path: '/__proto__', value: 'p' }, { op: 'replace', path: '/__proto__', value: 'q' }]);
    expect(plan.changes).toEqual([{ kind: 'update', name: '__proto__', value: 'q' }]);
    expect(Object.entries(plan.result)).toEqual([['__proto__', 'q'], ['a', '1']]);
  });

  it('rejects "__proto__" and "constructor" members in an op object as unknown members', () => {
    const op = JSON.parse('{"op": "add", "path": "/a", "value": "x", "__proto__": {"polluted": "yes"}}');
    expect(failure([op]).message).toContain('Unrecognized key: "__proto__"');
    expect(failure([{ op: 'add', path: '/a', value: 'x', constructor: 'y' }]).message).toContain('Unrecognized key: "constructor"');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('an op object whose prototype carries "op" is not read through the prototype', () => {
    const op = Object.create({ op: 'add', value: 'x' }) as Record<string, unknown>;
    op['path'] = '/a';
    expect(failure([op]).message).toContain('"op" must be one of');
  });
});

describe('every combination of members, good and bad, plans or fails as a PropertyPatchError', () => {
  const absent = Symbol('absent');
  const grid = {
    op: [absent, 'add', 'remove', 'replace', 'test', 'move', 'copy', 'Add', 'bogus', 1, null, ['add']],
    path: [absent, '/a', '/new', '/__proto__', '/constructor', '', '/', '/a/b', '/~2', 'a', 1, null, {}],
    value: [absent, 'x', '', '1', 1, null, true, {}, ['x'], '\u0000'],
    from: [absent, '/a', '/nope', '/__proto__', 'a', 3],
    extra: [absent, 'y'],
  };
  const current = { a: '1', b: '2' };

  it(`${Object.values(grid).reduce((n, values) => n * values.length, 1)} single-op patches, the prototype left alone`, () => {
    let planned = 0;
    for (const op of grid.op)
      for (const path of grid.path)
        for (const value of grid.value)
          for (const from of grid.from)
            for (const extra of grid.extra) {
              const members = Object.entries({ op, path, value, from, extra }).filter(([, v]) => v !== absent);
              const operation = JSON.parse(JSON.stringify(Object.fromEntries(members))) as unknown;
              try {
                const plan = planPropertyPatch(current, [operation]);
                planned++;
                expect(Object.getPrototypeOf(plan.result)).toBeNull();
                for (const change of plan.changes) expect(change.kind === 'delete' ? !(change.name in plan.result) : plan.result[change.name] === change.value).toBe(true);
              } catch (err) {
                expect(err).toBeInstanceOf(PropertyPatchError);
              }
            }
    expect(planned).toBeGreaterThan(20); // the grid does reach valid patches
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it.each([undefined, NaN, Infinity, -0, 'x', true, [[]], [[{}]], [null], [1], [Symbol('s')], [() => 1], new Map(), new Date(0)])('a body or op of %s', (body) => {
    expect(() => planPropertyPatch({}, body)).toThrow(PropertyPatchError);
  });
});
