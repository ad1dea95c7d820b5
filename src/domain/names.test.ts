import { afterEach, describe, expect, it } from 'vitest';
import { isRepositoryName, isTag, namespaceOf, setNamespacePrefixes } from './names.js';

describe('repository names and tags', () => {
  it('follow the distribution-spec regular expressions', () => {
    for (const good of ['a', 'a/b', 'a-b/c__d/e.f', 'x0/y1']) expect(isRepositoryName(good), good).toBe(true);
    for (const bad of ['', 'A', 'a//b', '/a', 'a/', 'a..b', 'a b', 'a'.repeat(256)]) expect(isRepositoryName(bad), bad).toBe(false);
    expect(isTag('v1.0_rc-2')).toBe(true);
    expect(isTag('-v1')).toBe(false);
    expect(isTag('x'.repeat(129))).toBe(false);
  });
});

describe('namespaceOf', () => {
  afterEach(() => setNamespacePrefixes([]));

  it('is the first path component by default', () => {
    expect(namespaceOf('team/app')).toBe('team');
    expect(namespaceOf('team/sub/app')).toBe('team');
    expect(namespaceOf('solo')).toBe('solo');
  });

  it('is the longest configured prefix a repository lies under', () => {
    setNamespacePrefixes(['org', 'org/team', 'org/team/deep']);
    expect(namespaceOf('org/team/app')).toBe('org/team');
    expect(namespaceOf('org/team/deep/app')).toBe('org/team/deep');
    expect(namespaceOf('org/other/app')).toBe('org');
    // A prefix matches whole path components only, and never the repository itself.
    expect(namespaceOf('org/teamx/app')).toBe('org');
    expect(namespaceOf('org/team')).toBe('org');
    expect(namespaceOf('elsewhere/app')).toBe('elsewhere');
  });
});
