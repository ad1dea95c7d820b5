// PULP_MANIFEST parsing: well-formed lines, what is skipped and what is left out (reported),
// and paging in the file store's order.
import { describe, expect, it } from 'vitest';
import { PulpManifest } from './pulp-manifest.js';

const hex = (c: string) => c.repeat(64);

describe('PulpManifest', () => {
  it('reads relative_path,sha256,size lines, skipping blank lines and # comments', () => {
    const manifest = PulpManifest.parse(`# made by pulp-manifest\r\n1.iso,${hex('a')},1024\r\n\r\nsub/dir/2.iso,${hex('B')},0\n`);
    expect(manifest.problems).toEqual([]);
    expect(manifest.size).toBe(2);
    expect(manifest.get('1.iso')).toEqual({ path: '1.iso', digest: `sha256:${hex('a')}`, size: 1024 });
    expect(manifest.get('sub/dir/2.iso')?.digest).toBe(`sha256:${hex('b')}`);
    expect(manifest.get('missing.iso')).toBeUndefined();
  });

  it('takes the sha256 and size as the last two fields, so a path may hold commas', () => {
    const manifest = PulpManifest.parse(`notes, final,v2.txt,${hex('c')},7`);
    expect(manifest.get('notes, final,v2.txt')).toMatchObject({ size: 7 });
  });

  it('leaves out malformed lines and paths the file store refuses, and says which', () => {
    const manifest = PulpManifest.parse(
      [`ok.txt,${hex('a')},1`, 'only-a-name', `short.txt,abc,1`, `neg.txt,${hex('a')},-1`, `../etc/passwd,${hex('a')},1`, `/abs.txt,${hex('a')},1`].join('\n'),
    );
    expect(manifest.entries().map((e) => e.path)).toEqual(['ok.txt']);
    expect(manifest.problems).toEqual([
      'line 2: expected relative_path,sha256,size',
      'line 3: "abc" is not a sha256 (64 hexadecimal digits)',
      'line 4: "-1" is not a size in bytes',
      'line 5: path "../etc/passwd" is refused: ".." is not allowed as a segment',
      'line 6: path "/abs.txt" is refused: empty segment (two slashes in a row, or a leading slash)',
    ]);
  });

  it('leaves out a path listed twice with different digests (the same digest twice is fine)', () => {
    const manifest = PulpManifest.parse([`a.txt,${hex('a')},1`, `a.txt,${hex('b')},1`, `b.txt,${hex('c')},1`, `b.txt,${hex('c')},1`].join('\n'));
    expect(manifest.entries().map((e) => e.path)).toEqual(['b.txt']);
    expect(manifest.problems).toHaveLength(1);
  });

  it('pages in UTF-8 byte order after `last`, under `prefix`', () => {
    const paths = ['z.txt', 'a/1.txt', 'a/2.txt', 'a/3.txt', 'b/1.txt', 'é.txt', 'ab.txt'];
    const manifest = PulpManifest.parse(paths.map((p) => `${p},${hex('a')},1`).join('\n'));
    expect(manifest.entries().map((e) => e.path)).toEqual(['a/1.txt', 'a/2.txt', 'a/3.txt', 'ab.txt', 'b/1.txt', 'z.txt', 'é.txt']);
    const names = (page: Parameters<PulpManifest['page']>[0]) => manifest.page(page).map((e) => e.path);
    expect(names({ n: 2 })).toEqual(['a/1.txt', 'a/2.txt']);
    expect(names({ n: 2, last: 'a/2.txt' })).toEqual(['a/3.txt', 'ab.txt']);
    expect(names({ n: 10, prefix: 'a/' })).toEqual(['a/1.txt', 'a/2.txt', 'a/3.txt']);
    expect(names({ n: 10, prefix: 'a/', last: 'a/1.txt' })).toEqual(['a/2.txt', 'a/3.txt']);
    expect(names({ n: 10, prefix: 'b/', last: 'a/1.txt' })).toEqual(['b/1.txt']);
    expect(names({ n: 10, last: 'z.txt' })).toEqual(['é.txt']);
    expect(names({ n: 10, prefix: 'q' })).toEqual([]);
  });
});
