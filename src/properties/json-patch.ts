// JSON Patch (RFC 6902) over an artifact's properties, a flat map of string -> string, as
// Glance changes image properties: validates a patch body against the current values and
// says what it changes, op by op, so that property protections can be checked per change
// before anything is written. Pure and atomic: a patch that fails anywhere changes nothing.
//
// Supported: add (creates, or replaces an existing member: an update), replace and remove
// (the member must exist), test (the member must hold exactly that string), move and copy
// (as remove + add and add; moving a member onto itself changes nothing). Paths are RFC 6901
// pointers exactly one level deep (`/name`, `~1` and `~0` unescaped). Stricter than the RFC
// on purpose: members an op does not define are an error, not ignored, so a typo such as
// "vaule" is reported instead of silently dropped.
import { z } from 'zod';

export interface PropertyChange {
  kind: 'create' | 'update' | 'delete';
  name: string;
  /** The new value (create, update). */
  value?: string;
}

export interface PropertyPatchPlan {
  changes: PropertyChange[];
  /** The properties after the patch (a null-prototype object: "__proto__" is just a name). */
  result: Record<string, string>;
}

/** Media types a properties PATCH accepts: the RFC's and Glance's (the same body). */
export const propertyPatchMediaTypes = ['application/json-patch+json', 'application/openstack-images-v2.1-json-patch'] as const;

export const propertyPatchLimits = {
  maxOperations: 500,
  /** UTF-8 bytes of one value. */
  maxValueBytes: 64 * 1024,
  maxNameLength: 255,
} as const;

/**
 * Property names: ASCII letters, digits, `_ . : -`, not starting with `. : -`, at most 255
 * characters (Glance's column width). Narrower than Glance (which takes nearly any string)
 * so that names are safe in URLs, logs and the regular expressions of property protections.
 */
export const propertyNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,254}$/;

export function isPropertyName(name: string): boolean {
  return propertyNamePattern.test(name);
}

/**
 * Why a patch cannot apply. `invalid`: the body is malformed (HTTP 400). `conflict`: it is
 * well formed but does not fit the current properties (a missing member, a failed test;
 * HTTP 409, as Glance answers for a missing property).
 */
export class PropertyPatchError extends Error {
  override readonly name = 'PropertyPatchError';
  constructor(
    message: string,
    readonly kind: 'invalid' | 'conflict',
    /** The index of the failing op in the patch; null when the body as a whole is wrong. */
    readonly opIndex: number | null,
  ) {
    super(message);
  }
}

const requiredString = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
const opSchemas = {
  add: z.strictObject({ op: z.literal('add'), path: requiredString, value: requiredString }),
  replace: z.strictObject({ op: z.literal('replace'), path: requiredString, value: requiredString }),
  test: z.strictObject({ op: z.literal('test'), path: requiredString, value: requiredString }),
  remove: z.strictObject({ op: z.literal('remove'), path: requiredString }),
  move: z.strictObject({ op: z.literal('move'), from: requiredString, path: requiredString }),
  copy: z.strictObject({ op: z.literal('copy'), from: requiredString, path: requiredString }),
};
type OpName = keyof typeof opSchemas;
type Operation = z.infer<(typeof opSchemas)[OpName]>;
const opNames = Object.keys(opSchemas) as OpName[];

export function planPropertyPatch(current: Readonly<Record<string, string>>, patch: unknown): PropertyPatchPlan {
  if (!Array.isArray(patch)) throw new PropertyPatchError('the body must be a JSON array of operations, such as [{"op":"add","path":"/name","value":"text"}]', 'invalid', null);
  if (patch.length > propertyPatchLimits.maxOperations) {
    throw new PropertyPatchError(`the patch has ${patch.length} operations; at most ${propertyPatchLimits.maxOperations} are allowed`, 'invalid', null);
  }
  const operations = patch.map(parseOperation);
  const properties = new Map(Object.entries(current));
  const changes: PropertyChange[] = [];
  operations.forEach((operation, index) => changes.push(...applyOperation(properties, operation, index)));
  const result = Object.create(null) as Record<string, string>;
  for (const [name, value] of properties) result[name] = value;
  return { changes, result };
}

function parseOperation(raw: unknown, index: number): Operation {
  const fail = (message: string): never => {
    throw new PropertyPatchError(`op ${index}: ${message}`, 'invalid', index);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('each operation must be a JSON object');
  const op: unknown = Object.hasOwn(raw, 'op') ? (raw as Record<string, unknown>)['op'] : undefined;
  if (typeof op !== 'string' || !(opNames as string[]).includes(op)) {
    return fail(`"op" must be one of ${opNames.join(', ')}${op === undefined ? '' : `, not ${quote(op)}`}`);
  }
  const parsed = opSchemas[op as OpName].safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return fail(issue.path.length > 0 ? `"${issue.path.join('.')}" ${issue.message}` : `${op}: ${issue.message}`);
}

function applyOperation(properties: Map<string, string>, operation: Operation, index: number): PropertyChange[] {
  const label = `op ${index} (${operation.op} ${quote(operation.path)})`;
  const invalid = (message: string): never => {
    throw new PropertyPatchError(`${label}: ${message}`, 'invalid', index);
  };
  const conflict = (message: string): never => {
    throw new PropertyPatchError(`${label}: ${message}`, 'conflict', index);
  };
  const name = propertyNameOf(operation.path, '"path"', invalid);
  const existing = (what: string, member: string): string => {
    const value = properties.get(member);
    return value ?? conflict(`${what} "${member}" does not exist${operation.op === 'replace' ? ' (add creates a property)' : ''}`);
  };
  switch (operation.op) {
    case 'add':
      return [setProperty(properties, name, checkedValue(operation.value, invalid))];
    case 'replace':
      existing('property', name);
      return [setProperty(properties, name, checkedValue(operation.value, invalid))];
    case 'remove':
      existing('property', name);
      properties.delete(name);
      return [{ kind: 'delete', name }];
    case 'test':
      if (existing('property', name) !== operation.value) conflict(`test failed: property "${name}" holds a different value`);
      return [];
    case 'move': {
      const from = propertyNameOf(operation.from, '"from"', invalid);
      const value = existing('"from" property', from);
      if (from === name) return [];
      properties.delete(from);
      return [{ kind: 'delete', name: from }, setProperty(properties, name, value)];
    }
    case 'copy': {
      const from = propertyNameOf(operation.from, '"from"', invalid);
      return [setProperty(properties, name, existing('"from" property', from))];
    }
  }
}

function setProperty(properties: Map<string, string>, name: string, value: string): PropertyChange {
  const kind = properties.has(name) ? 'update' : 'create';
  properties.set(name, value);
  return { kind, name, value };
}

/** The one member an RFC 6901 pointer `/name` names, unescaped and checked. */
function propertyNameOf(pointer: string, what: string, invalid: (message: string) => never): string {
  if (!pointer.startsWith('/')) {
    return invalid(pointer === '' ? `${what} "" names the whole property map; name one property: "/name"` : `${what} must start with "/": "/name"`);
  }
  const token = pointer.slice(1);
  if (token.includes('/')) return invalid(`${what} is nested; properties are one level: "/name" (a "/" inside a name is written "~1")`);
  if (/~(?![01])/.test(token)) return invalid(`${what} holds a "~" that is not "~0" or "~1"`);
  const name = token.replace(/~[01]/g, (escape) => (escape === '~1' ? '/' : '~'));
  if (name === '') return invalid(`${what} names no property; write "/name"`);
  if (!isPropertyName(name)) {
    return invalid(
      `${what}: ${quote(name)} is not a property name ` +
        `(1-${propertyPatchLimits.maxNameLength} of A-Z a-z 0-9 _ . : -, starting with a letter, digit or _)`,
    );
  }
  return name;
}

function checkedValue(value: string, invalid: (message: string) => never): string {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > propertyPatchLimits.maxValueBytes) invalid(`"value" is ${bytes} bytes; at most ${propertyPatchLimits.maxValueBytes} are allowed`);
  // Neither can be stored as text in PostgreSQL (and a lone surrogate is not Unicode).
  if (value.includes('\u0000')) invalid('"value" holds a NUL character (\\u0000)');
  if (/[\uD800-\uDFFF]/u.test(value)) invalid('"value" holds an unpaired UTF-16 surrogate');
  return value;
}

/** A value for an error message: JSON-quoted, cut to a readable length (bodies can be large). */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
