// Who made a /v2 request, for the decisions taken after dispatch (artifact-guard.ts): the
// v2 guard records how to find out, and the lookup (a database read for a bearer token's
// subject) runs only if a handler asks, at most once per request.
import type { FastifyRequest } from 'fastify';
import type { Caller } from './access-control.js';

const callers = new WeakMap<FastifyRequest, () => Promise<Caller | undefined>>();

export function setRequestCaller(request: FastifyRequest, resolve: () => Promise<Caller | undefined>): void {
  let answer: Promise<Caller | undefined> | undefined;
  callers.set(request, () => (answer ??= resolve()));
}

const tokenSubjects = new WeakMap<FastifyRequest, { kind: string; name: string }>();

/** The subject of the bearer token a request came with (scanner pulls are told apart by it). */
export function setRequestTokenSubject(request: FastifyRequest, subject: { kind: string; name: string }): void {
  tokenSubjects.set(request, subject);
}

export function requestTokenSubject(request: FastifyRequest): { kind: string; name: string } | undefined {
  return tokenSubjects.get(request);
}

/** The caller the guard admitted; undefined when auth is off or the token's subject is gone. */
export function requestCaller(request: FastifyRequest): Promise<Caller | undefined> {
  return callers.get(request)?.() ?? Promise.resolve(undefined);
}
