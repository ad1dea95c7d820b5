import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x', '10': true, '9': false, é: 1, Z: 2 })).toBe('{"10":true,"9":false,"Z":2,"a":"x","b":[3,{"a":null,"z":1}],"é":1}');
  });

  it('is the same for the same value whatever the key order, and round-trips', () => {
    const value = { vulnerabilities: [{ id: 'CVE-1', severity: 'High', fix_version: '' }], scanner: { name: 'Trivy' } };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
    expect(canonicalJson({ scanner: { name: 'Trivy' }, vulnerabilities: [{ severity: 'High', fix_version: '', id: 'CVE-1' }] })).toBe(text);
  });

  it("writes numbers and strings as ECMAScript does (RFC 8785's test values)", () => {
    expect(canonicalJson([1e21, 1e-7, -0, 333333333.3333333, 'ab\u0001\n"\\', '\u20ac'])).toBe('[1e+21,1e-7,0,333333333.3333333,"ab\\u0001\\n\\"\\\\","€"]');
  });

  it('leaves out undefined members, writes undefined items as null, refuses what JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});
