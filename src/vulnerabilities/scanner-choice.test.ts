import { describe, expect, it } from 'vitest';
import { chooseScanners, type ChoosableScanner } from './scanner-choice.js';

const scanner = (name: string, flags: Partial<ChoosableScanner> = {}): ChoosableScanner => ({ name, default: false, required: false, enabled: true, ...flags });
const choose = (scanners: ChoosableScanner[], namespaces: Record<string, string[]>, repository: string) =>
  chooseScanners({ scanners, namespaces: new Map(Object.entries(namespaces)) }, repository);

describe('chooseScanners', () => {
  it('uses the namespace choice, else the default, else every scanner', () => {
    const scanners = [scanner('trivy'), scanner('clair', { default: true }), scanner('grype')];
    expect(choose(scanners, { lib: ['grype', 'trivy'] }, 'lib/app')).toEqual(['grype', 'trivy']);
    expect(choose(scanners, { lib: ['grype'] }, 'other/app')).toEqual(['clair']);
    expect(choose([scanner('trivy'), scanner('grype')], {}, 'other/app')).toEqual(['trivy', 'grype']);
    expect(choose([], {}, 'lib/app')).toEqual([]);
  });

  it('adds required scanners to every choice', () => {
    const scanners = [scanner('quick', { required: true }), scanner('clair', { default: true }), scanner('grype')];
    expect(choose(scanners, { lib: ['grype'] }, 'lib/app')).toEqual(['grype', 'quick']);
    expect(choose(scanners, {}, 'other/app')).toEqual(['clair', 'quick']);
    expect(choose([scanner('quick', { required: true }), scanner('grype')], {}, 'x/y')).toEqual(['quick', 'grype']);
  });

  it('counts only enabled scanners, and a choice with none left falls back', () => {
    const scanners = [scanner('trivy', { enabled: false }), scanner('clair', { default: true, enabled: false }), scanner('grype')];
    expect(choose(scanners, { lib: ['trivy'] }, 'lib/app')).toEqual(['grype']);
    expect(choose(scanners, { lib: ['trivy', 'grype', 'gone'] }, 'lib/app')).toEqual(['grype']);
    expect(choose([scanner('off', { required: true, enabled: false })], {}, 'lib/app')).toEqual([]);
  });
});
