// The command scanner's argv template: `clamscan --no-summary -- {path}` or an array.
// A string is split into words the way a POSIX shell would split them (quotes and
// backslashes), but nothing is expanded and no shell ever runs: placeholders are replaced
// inside each word after splitting, so a value can never become a second argument, an
// option of its own, a redirection or a command.

export const placeholders = ['path', 'digest', 'mediaType', 'filename'] as const;
export type Placeholder = (typeof placeholders)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string>>;

/** Characters a shell would treat as syntax; unquoted they are refused, not passed on. */
const shellSyntax = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`']);

export class ArgvTemplateError extends Error {
  override name = 'ArgvTemplateError';
}

/** Splits a command line into words; throws on unbalanced quotes and unquoted shell syntax. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word = word! + char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && line[i + 1] !== undefined && '"\\$`'.includes(line[i + 1]!)) word = word! + line[++i];
      else word = word! + char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '\\') {
      if (i + 1 >= line.length) throw new ArgvTemplateError('command ends with a lone backslash');
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (shellSyntax.has(char)) {
      throw new ArgvTemplateError(`unquoted ${JSON.stringify(char)} in command: it runs without a shell; quote it to pass it literally`);
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote) throw new ArgvTemplateError(`unterminated ${quote} quote in command`);
  if (word !== undefined) words.push(word);
  return words;
}

/** A validated template: a program and its argument templates. */
export function parseArgvTemplate(template: string | readonly string[]): string[] {
  const argv = typeof template === 'string' ? splitCommandLine(template) : [...template];
  if (argv.length === 0 || !argv[0]) throw new ArgvTemplateError('command is empty');
  if (/\{\w+\}/.test(argv[0])) throw new ArgvTemplateError('the program itself cannot be a placeholder');
  if (!argv.some((arg) => arg.includes('{path}'))) throw new ArgvTemplateError('command must pass the file as {path}');
  return argv;
}

/** Replaces `{name}` placeholders inside each argument; unknown `{…}` stay as written. */
export function renderArgv(argv: readonly string[], values: PlaceholderValues): string[] {
  return argv.map((arg) =>
    arg.replace(/\{(\w+)\}/g, (whole, name: string) =>
      (placeholders as readonly string[]).includes(name) ? (values[name as Placeholder] ?? '') : whole,
    ),
  );
}
