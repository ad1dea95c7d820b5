// Property protections in OpenStack Glance's file format (`property_protection_file`):
// who may create, read, update or delete which artifact property. Each INI section is a
// regular expression over property names; the first section (in file order) whose pattern
// is found in the name decides, through a role list (`roles` format) or one policy rule
// name (`policies` format). Everything wrong with a file is an error at load time, naming
// the file and line, so a server never starts with protections it misreads.
// Semantics and the deliberate differences from Glance: src/policy/README.md.
import { readFile } from 'node:fs/promises';
import type { PolicyEngine } from './engine.js';

export type PropertyOperation = 'create' | 'read' | 'update' | 'delete';
export type PropertyProtectionFormat = 'roles' | 'policies';

export const propertyOperations: readonly PropertyOperation[] = ['create', 'read', 'update', 'delete'];

export interface PropertyCaller {
  /** The caller's roles (compared without case). */
  roles: readonly string[];
  /** What a policy rule sees (`policies` format): the artifact's target and the caller's credentials. */
  target: Record<string, unknown>;
  creds: Record<string, unknown>;
}

export interface PropertyDecision {
  allowed: boolean;
  /** Names the deciding section and what it allows; holds no credential values. */
  reason: string;
}

export interface PropertyProtections {
  check(property: string, operation: PropertyOperation, caller: PropertyCaller): PropertyDecision;
  /** True when there are no sections at all: every operation on every property is allowed. */
  readonly empty: boolean;
}

export interface PropertyProtectionOptions {
  format: PropertyProtectionFormat;
  /** Names the text in errors (a path); default "property protections". */
  source?: string;
  /** Required by the `policies` format: every rule a section names must exist in it. */
  policy?: PolicyEngine;
}

export class PropertyProtectionsError extends Error {
  override readonly name = 'PropertyProtectionsError';
}

type Fail = (line: number, message: string) => never;

type Permission =
  | { kind: 'everyone' }
  | { kind: 'no-one' }
  | { kind: 'roles'; roles: ReadonlySet<string>; text: string }
  | { kind: 'policy'; rule: string; policy: PolicyEngine };

interface Section {
  name: string;
  pattern: RegExp;
  permissions: Record<PropertyOperation, Permission>;
}

export const noProtections: PropertyProtections = {
  empty: true,
  check: () => ({ allowed: true, reason: 'no property protections are configured' }),
};

export async function loadPropertyProtections(path: string, options: PropertyProtectionOptions): Promise<PropertyProtections> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PropertyProtectionsError(`cannot read property protections file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parsePropertyProtections(text, { ...options, source: options.source ?? path });
}

/** Throws PropertyProtectionsError (`source:line: what is wrong`) for anything Glance would refuse or read ambiguously. */
export function parsePropertyProtections(text: string, options: PropertyProtectionOptions): PropertyProtections {
  const source = options.source ?? 'property protections';
  const fail: Fail = (line, message) => {
    throw new PropertyProtectionsError(`${source}:${line}: ${message}`);
  };
  if (options.format === 'policies' && !options.policy) {
    throw new PropertyProtectionsError(`${source}: the policies format needs the policy engine to check rule names against`);
  }
  const sections = parseIni(text, fail).map((section) => buildSection(section, options, fail));
  if (sections.length === 0) return noProtections;
  return { empty: false, check: (property, operation, caller) => decide(sections, property, operation, caller) };
}

function decide(sections: readonly Section[], property: string, operation: PropertyOperation, caller: PropertyCaller): PropertyDecision {
  if (!propertyOperations.includes(operation)) return { allowed: false, reason: `"${String(operation)}" is not a property operation` };
  const section = sections.find((s) => s.pattern.test(property));
  if (!section) return { allowed: false, reason: `no section of the property protections matches property "${property}", so no one may ${operation} it` };
  const permission = section.permissions[operation];
  const where = `section [${section.name}]`;
  switch (permission.kind) {
    case 'everyone':
      return { allowed: true, reason: `${where} allows ${operation} to everyone (@)` };
    case 'no-one':
      return { allowed: false, reason: `${where} allows ${operation} to no one (!)` };
    case 'roles': {
      const allowed = caller.roles.some((role) => permission.roles.has(role.toLowerCase()));
      return allowed
        ? { allowed, reason: `${where} allows ${operation} to ${permission.text}` }
        : { allowed, reason: `${where} allows ${operation} only to ${permission.text}; the caller has none of these roles` };
    }
    case 'policy': {
      const decision = permission.policy.decideRule(permission.rule, caller.target, caller.creds);
      return { allowed: decision.allowed, reason: `${where} ${operation}: ${decision.reason}` };
    }
  }
}

// ---- sections -> rules ----

function buildSection(section: IniSection, options: PropertyProtectionOptions, fail: Fail): Section {
  const pattern = compileSectionPattern(section.name, (message) => fail(section.line, `section [${section.name}]: ${message}`));
  const permissions = {} as Record<PropertyOperation, Permission>;
  for (const operation of propertyOperations) {
    const entry = section.entries.get(operation);
    if (!entry) {
      return fail(section.line, `section [${section.name}] has no "${operation}" (Glance refuses to start without all four operations; write "${operation} = !" to let no one)`);
    }
    permissions[operation] = parsePermission(entry.value, options, (message) => fail(entry.line, `${operation} in [${section.name}]: ${message}`));
  }
  return { name: section.name, pattern, permissions };
}

function parsePermission(value: string, options: PropertyProtectionOptions, fail: (message: string) => never): Permission {
  if (value === '') fail('empty value (Glance reads it as "no one" with a warning; write "!" to say so)');
  if (value === '@') return { kind: 'everyone' };
  if (value === '!') return { kind: 'no-one' };
  if (options.format === 'policies') {
    if (value.includes(',')) fail(`"${value}": one policy rule per operation in the policies format (combine rules in the policy file)`);
    const policy = options.policy;
    if (!policy?.has(value)) return fail(`no policy rule named "${value}"`);
    return { kind: 'policy', rule: value, policy };
  }
  const roles = value.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (role === '') fail(`"${value}" has an empty role (a stray comma?)`);
    if (role === '@' || role === '!') fail(`"${value}": "${role}" must stand alone (it means ${role === '@' ? 'everyone' : 'no one'})`);
    if (/\s/.test(role)) fail(`"${role}" holds whitespace: separate roles with commas`);
  }
  return { kind: 'roles', roles: new Set(roles.map((role) => role.toLowerCase())), text: roles.join(', ') };
}

/**
 * A section name as a JavaScript RegExp that finds what Python's `re.search` finds, for
 * the names properties may have. Unicode mode makes JavaScript refuse escapes Python reads
 * differently (`\A`, `\Z`, `\a`, `\U`, `\N{...}`: without it `\Z` would be a plain "Z").
 */
function compileSectionPattern(pattern: string, fail: (message: string) => never): RegExp {
  const bracket = leadingBracketInClass(pattern);
  if (bracket !== undefined) {
    fail(`"${bracket}" at offset ${pattern.indexOf(bracket)}: Python reads a "]" right after "[" or "[^" as a literal, JavaScript as the end of the class; write "\\]" instead`);
  }
  try {
    return new RegExp(pattern, 'u');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return fail(`not a regular expression JavaScript can compile (${message})${patternHint(pattern)}`);
  }
}

/** `[]...]` or `[^]...]`: a class whose first member is "]" in Python. */
function leadingBracketInClass(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
      const first = pattern[i + 1] === '^' ? i + 2 : i + 1;
      if (pattern[first] === ']') return pattern.slice(i, first + 1);
      i = first - 1;
    }
  }
  return undefined;
}

function patternHint(pattern: string): string {
  if (/\\[AZz]/.test(pattern)) return '; for Python\'s \\A and \\Z write ^ and $';
  if (pattern.includes('(?P')) return '; Python\'s (?P<name>...) is (?<name>...) here, and (?P=name) is \\k<name>';
  if (/\(\?[aiLmsux-]+[:)]/.test(pattern)) return '; inline flags such as (?i) are not supported';
  if (/\\[^\\^$.*+?()[\]{}|/dDwWsSbBfnrtv0-9xucpPk]/.test(pattern)) return '; escape only characters that have a meaning in a pattern';
  return '';
}

// ---- the INI subset Glance reads with configparser ----

interface IniEntry {
  value: string;
  line: number;
}

interface IniSection {
  name: string;
  line: number;
  entries: Map<string, IniEntry>;
}

/**
 * configparser's defaults as Glance uses them: `[name]` headers (the name is everything
 * between the first "[" and the last "]"), `key = value` or `key: value` (split at the
 * first "=" or ":", key without case), whole-line `#`/`;` comments, blank lines.
 * Refused, because configparser would read them in ways easy to miss: continuation lines,
 * `%` (interpolation), inline comments (configparser keeps them in the value), [DEFAULT].
 */
function parseIni(text: string, fail: Fail): IniSection[] {
  const sections: IniSection[] = [];
  const byName = new Map<string, IniSection>();
  let current: IniSection | undefined;
  let keyIndent: number | undefined; // indentation of the last key line: deeper lines continue its value
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#') || content.startsWith(';')) continue;
    const indent = raw.length - raw.trimStart().length;
    if (keyIndent !== undefined && indent > keyIndent) fail(line, 'an indented line continues the value above it in configparser; put each value on one line');
    if (content.startsWith('[')) {
      current = startSection(content, line, byName, fail);
      byName.set(current.name, current);
      sections.push(current);
      keyIndent = undefined;
      continue;
    }
    if (!current) fail(line, `"${content}" comes before any [section]`);
    const delimiter = content.search(/[=:]/);
    if (delimiter < 0) fail(line, `expected "key = value", found "${content}"`);
    const key = content.slice(0, delimiter).trim().toLowerCase();
    const value = content.slice(delimiter + 1).trim();
    if (!(propertyOperations as readonly string[]).includes(key)) {
      fail(line, `unknown key "${key}" in [${current.name}]; the keys are ${propertyOperations.join(', ')}`);
    }
    const previous = current.entries.get(key);
    if (previous) fail(line, `"${key}" appears twice in [${current.name}] (first on line ${previous.line})`);
    if (value.includes('%')) fail(line, `"%" in "${value}": configparser would read it as interpolation`);
    if (/\s[#;]/.test(value)) fail(line, `"${value}": configparser has no inline comments and would keep this one in the value; put comments on their own line`);
    current.entries.set(key, { value, line });
    keyIndent = indent;
  }
  return sections;
}

function startSection(content: string, line: number, byName: Map<string, IniSection>, fail: Fail): IniSection {
  if (!content.endsWith(']')) fail(line, `"${content}": a section header must end with "]" (no text after it)`);
  const name = content.slice(1, -1);
  if (name === '') fail(line, 'empty section name');
  if (name !== name.trim()) fail(line, `section [${name}]: spaces around the name would be part of the pattern; remove them`);
  if (name === 'DEFAULT') fail(line, 'configparser reads [DEFAULT] as values for every section, not as a pattern; write the operations in each section');
  const previous = byName.get(name);
  if (previous) fail(line, `section [${name}] appears twice (first on line ${previous.line})`);
  return { name, line, entries: new Map() };
}
