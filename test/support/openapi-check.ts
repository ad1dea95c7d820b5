// Checks a value against a schema of the Harbor scanner adapter's OpenAPI files
// (../shared/specs/scanner-adapter-openapi-v1.*.yaml), by hand: the subset of OpenAPI 3.0
// schema those files use (type, required, properties, items, enum, $ref, nullable).
// Returns the problems found, each with its path; none means the value conforms.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

type Schema = { $ref?: string; type?: string; required?: string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; nullable?: boolean };
interface OpenApi {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, Schema> };
}

export type SpecVersion = '1.0' | '1.1' | '1.2';

const specs = new Map<SpecVersion, OpenApi>();

/**
 * Where the adapter API's OpenAPI files are: SCANGATE_SPECS_DIR, else `../shared/specs` next
 * to the checkout, else this workplace's `/work/shared/specs` (a clean clone elsewhere, as
 * CI makes, has no sibling `shared`). None found fails the test, saying where it looked.
 */
function specsDir(): string {
  const candidates = [
    process.env['SCANGATE_SPECS_DIR'],
    fileURLToPath(new URL('../../../shared/specs', import.meta.url)),
    '/work/shared/specs',
  ].filter((dir): dir is string => dir !== undefined);
  const found = candidates.find((dir) => existsSync(join(dir, 'scanner-adapter-openapi-v1.0.yaml')));
  if (!found) throw new Error(`the scanner adapter OpenAPI files are not in any of ${candidates.join(', ')}; set SCANGATE_SPECS_DIR`);
  return found;
}

export function adapterSpec(version: SpecVersion): OpenApi {
  let spec = specs.get(version);
  if (!spec) {
    const file = join(specsDir(), `scanner-adapter-openapi-v${version}.yaml`);
    specs.set(version, (spec = parse(readFileSync(file, 'utf8')) as OpenApi));
  }
  return spec;
}

/** The problems of `body` sent as `contentType` to `method path`, per the spec's requestBody. */
export function checkRequestBody(version: SpecVersion, method: string, path: string, contentType: string, body: unknown): string[] {
  const operation = adapterSpec(version).paths[path]?.[method.toLowerCase()];
  if (!operation?.requestBody) return [`${method} ${path} takes no body in v${version}`];
  const media = operation.requestBody.content[contentType];
  if (!media) return [`${method} ${path}: content type ${JSON.stringify(contentType)} is not one of ${Object.keys(operation.requestBody.content).join(', ')}`];
  return checkValue(version, media.schema, body, '$');
}

export function checkValue(version: SpecVersion, schema: Schema, value: unknown, at: string): string[] {
  if (schema.$ref) return checkValue(version, adapterSpec(version).components.schemas[schema.$ref.replace('#/components/schemas/', '')]!, value, at);
  if (value === null) return schema.nullable ? [] : [`${at}: null is not allowed`];
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected an object`];
      const record = value as Record<string, unknown>;
      const missing = (schema.required ?? []).filter((key) => !(key in record)).map((key) => `${at}.${key}: required`);
      const nested = Object.entries(schema.properties ?? {}).flatMap(([key, sub]) => (key in record ? checkValue(version, sub, record[key], `${at}.${key}`) : []));
      return [...missing, ...nested];
    }
    case 'array':
      if (!Array.isArray(value)) return [`${at}: expected an array`];
      return value.flatMap((item, i) => (schema.items ? checkValue(version, schema.items, item, `${at}[${i}]`) : []));
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: expected a string`];
    case 'number':
    case 'integer':
      return typeof value === 'number' ? [] : [`${at}: expected a number`];
    default:
      return [];
  }
}
