import { describe, expect, it } from 'vitest';
import { ArgvTemplateError, parseArgvTemplate, renderArgv, splitCommandLine } from './argv-template.js';

describe('splitCommandLine', () => {
  it.each([
    ['clamscan --no-summary -- {path}', ['clamscan', '--no-summary', '--', '{path}']],
    ['  a   b\tc\n', ['a', 'b', 'c']],
    [`scan 'two words' "double \\"quoted\\"" back\\ slash`, ['scan', 'two words', 'double "quoted"', 'back slash']],
    [`x '' ""`, ['x', '', '']],
    [`x 'it''s' "a\\b"`, ['x', 'its', 'a\\b']],
    [`x '$(not run)' "\\$HOME" '|' ';'`, ['x', '$(not run)', '$HOME', '|', ';']],
    [`x --name={filename}.scan`, ['x', '--name={filename}.scan']],
  ])('splits %j', (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it.each([`x 'open`, `x "open`, `x \\`, 'x | y', 'x; rm -rf /', 'x > out', 'x $(id)', 'x `id`', 'x && y', 'x $HOME'])(
    'refuses %j',
    (line) => {
      expect(() => splitCommandLine(line)).toThrow(ArgvTemplateError);
    },
  );
});

describe('parseArgvTemplate', () => {
  it('needs a program and {path}', () => {
    expect(() => parseArgvTemplate('')).toThrow(ArgvTemplateError);
    expect(() => parseArgvTemplate(['clamscan'])).toThrow(/\{path\}/);
    expect(() => parseArgvTemplate('{path} x')).toThrow(/program/);
    expect(parseArgvTemplate(['scan', '{path}'])).toEqual(['scan', '{path}']);
  });
});

describe('renderArgv', () => {
  it('replaces placeholders inside each argument, one argument per word', () => {
    const argv = ['scan', '--type={mediaType}', '{path}', '{digest}', '{unknown}', '{filename}'];
    const values = { path: '/tmp/x/my file.tar', mediaType: 'a/b', digest: 'sha256:ab' };
    expect(renderArgv(argv, values)).toEqual(['scan', '--type=a/b', '/tmp/x/my file.tar', 'sha256:ab', '{unknown}', '']);
  });

  it('does not interpret replacement patterns in values', () => {
    expect(renderArgv(['x', '{path}'], { path: "$& $' $1 {digest}" })).toEqual(['x', "$& $' $1 {digest}"]);
  });
});
