// The identity admin API, over IdentityAdmin (the same operations as `scangate user|robot|
// role|keys`). JSON in and out; a generated password or a robot token is in the one
// response that creates it and nowhere else (not in logs: no body is logged, and errors
// name fields, never values).
//
// GET    /admin/users                          {users}
// POST   /admin/users         {name, password?, roles?: [{namespace, role}]}
//                                              201 {user, password?} (password: only when generated)
// GET    /admin/users/:name                    {user}
// PATCH  /admin/users/:name   {password?, disabled?}   {user}
// DELETE /admin/users/:name                    {deleted, robots} (its robots go with it)
// GET    /admin/robots?owner=                  {robots}
// POST   /admin/robots        {name, owner, description?, expiresInDays?, roles?}   201 {robot, token}
// DELETE /admin/robots/:name                   {deleted}
// POST   /admin/robots/:name/token {expiresInDays?: number | null}   {robot, token}
//                                              (absent: keep the expiry; null: never expires)
// GET    /admin/role-bindings?namespace=&principal=   {bindings}
// POST   /admin/role-bindings {principal: 'user:NAME'|'robot:NAME', namespace, role}
//                                              201 {binding, created: true}, 200 when it existed
// DELETE /admin/role-bindings  (the same, as a body or a query)   {binding}; 404 when unbound
// GET    /admin/signing-keys                   {keys} (kid, algorithm, created, retired; no key material)
// POST   /admin/signing-keys/rotate            201 {key}
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseTokenSubject } from '../../auth/authenticate.js';
import { IdentityAdminError, type IdentityAdmin } from '../../auth/identity-admin.js';
import { InvalidNameError } from '../../auth/names.js';
import { PasswordPolicyError } from '../../auth/passwords.js';
import { RegistryError } from '../../domain/errors.js';
import { IdentityConflictError, IdentityNotFoundError } from '../../ports/identity-store.js';
import { parseInput } from './input.js';

export interface IdentityRoutesOptions {
  identity: IdentityAdmin;
}

const dayMs = 86_400_000;

const roles = z.array(z.object({ namespace: z.string(), role: z.string() }).strict()).max(1000);
const expiresInDays = z.number().positive().max(36_500);
const principal = z
  .string()
  .refine((text) => parseTokenSubject(text) !== undefined, 'give user:NAME or robot:NAME')
  .transform((text) => parseTokenSubject(text)!);

const newUser = z.object({ name: z.string(), password: z.string().optional(), roles: roles.optional() }).strict();
const userChanges = z
  .object({ password: z.string().optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((changes) => changes.password !== undefined || changes.disabled !== undefined, 'give password, disabled or both');
const newRobot = z
  .object({ name: z.string(), owner: z.string(), description: z.string().max(2000).optional(), expiresInDays: expiresInDays.optional(), roles: roles.optional() })
  .strict();
const tokenRequest = z.object({ expiresInDays: expiresInDays.nullable().optional() }).strict();
const robotsQuery = z.object({ owner: z.string().optional() }).strict();
const bindingsQuery = z.object({ namespace: z.string().optional(), principal: principal.optional() }).strict();
const binding = z.object({ principal, namespace: z.string(), role: z.string() }).strict();

function nameParam(request: FastifyRequest): string {
  return (request.params as { name: string }).name;
}

function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * dayMs);
}

export const identityRoutes: FastifyPluginAsync<IdentityRoutesOptions> = async (app, { identity }) => {
  app.setErrorHandler((error) => {
    // Into the registry's error shape; the app's error handler renders it.
    throw registryErrorOf(error);
  });
  // Answers may hold a secret shown once, or who holds which role: never keep them in a cache.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get('/admin/users', async () => ({ users: await identity.listUsers() }));

  app.post('/admin/users', async (request, reply) => {
    const body = parseInput(newUser, request.body, 'body');
    const { user, generatedPassword } = await identity.createUser(body);
    return reply.code(201).send(generatedPassword === undefined ? { user } : { user, password: generatedPassword });
  });

  app.get('/admin/users/:name', async (request) => ({ user: await identity.getUser(nameParam(request)) }));

  app.patch('/admin/users/:name', async (request) => {
    const name = nameParam(request);
    const changes = parseInput(userChanges, request.body, 'body');
    let user = changes.password === undefined ? await identity.getUser(name) : (await identity.setPassword(name, changes.password)).user;
    if (changes.disabled !== undefined) user = (await identity.setDisabled(name, changes.disabled)).user;
    return { user };
  });

  app.delete('/admin/users/:name', async (request) => {
    const name = nameParam(request);
    const { robots } = await identity.deleteUser(name);
    return { deleted: `user:${name}`, robots };
  });

  app.get('/admin/robots', async (request) => {
    const { owner } = parseInput(robotsQuery, request.query, 'query');
    return { robots: await identity.listRobots(owner) };
  });

  app.post('/admin/robots', async (request, reply) => {
    const { expiresInDays: days, ...body } = parseInput(newRobot, request.body, 'body');
    const created = await identity.createRobot({ ...body, expiresAt: days === undefined ? null : daysFromNow(days) });
    return reply.code(201).send(created);
  });

  app.delete('/admin/robots/:name', async (request) => {
    const name = nameParam(request);
    await identity.deleteRobot(name);
    return { deleted: `robot:${name}` };
  });

  app.post('/admin/robots/:name/token', async (request) => {
    const { expiresInDays: days } = parseInput(tokenRequest, request.body, 'body');
    const expiresAt = days === undefined ? undefined : days === null ? null : daysFromNow(days);
    return identity.regenerateRobotToken(nameParam(request), expiresAt);
  });

  app.get('/admin/role-bindings', async (request) => ({ bindings: await identity.listBindings(parseInput(bindingsQuery, request.query, 'query')) }));

  app.post('/admin/role-bindings', async (request, reply) => {
    const wanted = parseInput(binding, request.body, 'body');
    const created = await identity.bind(wanted);
    return reply.code(created ? 201 : 200).send({ binding: bindingView(wanted), created });
  });

  app.delete('/admin/role-bindings', async (request) => {
    const hasBody = request.body !== undefined && request.body !== null && Object.keys(request.body).length > 0;
    const wanted = parseInput(binding, hasBody ? request.body : request.query, hasBody ? 'body' : 'query');
    await identity.unbind(wanted);
    return { binding: bindingView(wanted) };
  });

  app.get('/admin/signing-keys', async () => ({ keys: await identity.listSigningKeys() }));

  app.post('/admin/signing-keys/rotate', async (_request, reply) => reply.code(201).send({ key: await identity.rotateSigningKey() }));
};

/** As listings show a binding. */
function bindingView(request: z.infer<typeof binding>) {
  return { kind: request.principal.kind, name: request.principal.name, namespace: request.namespace, role: request.role };
}

/** What IdentityAdmin and the store throw, as statuses: 400 bad input, 404 unknown, 409 taken. */
function registryErrorOf(error: unknown): unknown {
  if (error instanceof InvalidNameError) return new RegistryError('NAME_INVALID', error.message, { cause: error });
  if (error instanceof PasswordPolicyError) return new RegistryError('UNSUPPORTED', error.message, { status: 400, cause: error });
  if (error instanceof IdentityConflictError) return new RegistryError('UNSUPPORTED', error.message, { status: 409, detail: { reason: 'exists' }, cause: error });
  if (error instanceof IdentityNotFoundError) return new RegistryError('NAME_UNKNOWN', error.message, { cause: error });
  if (error instanceof IdentityAdminError) {
    return error.failure === 'not_found'
      ? new RegistryError('NAME_UNKNOWN', error.message, { cause: error })
      : new RegistryError('UNSUPPORTED', error.message, { status: 400, cause: error });
  }
  return error;
}
