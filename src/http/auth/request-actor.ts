// Who made a request, as events name them (`user:NAME`, `robot:NAME`, `anonymous`), without a
// database read: a bearer token's subject as the token says, Basic credentials' principal as
// the guard found it. Undefined callers (auth off) are null.
import type { FastifyRequest } from 'fastify';
import { anonymousTokenSubject, callerLabel } from './access-control.js';
import { requestCaller, requestTokenSubject } from './request-caller.js';

export async function requestActor(request: FastifyRequest): Promise<string | null> {
  const subject = requestTokenSubject(request);
  if (subject) {
    const label = `${subject.kind}:${subject.name}`;
    return label === anonymousTokenSubject ? 'anonymous' : label;
  }
  const caller = await requestCaller(request);
  return caller ? callerLabel(caller) : null;
}
