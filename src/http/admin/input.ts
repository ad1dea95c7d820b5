// Input of the admin API, checked with zod: a bad query or body is a 400 in the registry's
// error shape naming each bad field (never the value: a field may hold a password).
import { z } from 'zod';
import { RegistryError } from '../../domain/errors.js';

export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
  throw new RegistryError('UNSUPPORTED', `invalid ${what}: ${detail}`, { status: 400, detail });
}

/** The body of a PUT to `.../<name>`: its `name`, if any, must be `name` (the `what` in the path); it is filled in otherwise. */
export function bodyNamed(body: unknown, name: string, what: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const given = (body as { name?: unknown }).name;
  if (given !== undefined && given !== name) {
    throw new RegistryError('UNSUPPORTED', `invalid body: name: ${JSON.stringify(given)} is not the ${what} in the path (${name})`, { status: 400, detail: 'name' });
  }
  return { ...body, name };
}
