// Who may use the properties API, for artifacts and files alike: the caller is identified
// and the repository-level rule decided before anything is looked up, so a caller who may
// not use the API on a repository learns nothing of what it holds (401/403, never a 404
// first). Rules that read the subject, and the property protections, are decided with it
// in hand (judge). With auth off (no AccessControl) everyone may read and change everything.
import type { FastifyRequest } from 'fastify';
import { RegistryError } from '../../domain/errors.js';
import type { ArtifactFacts, Decision } from '../../policy/index.js';
import { anonymous, callerLabel, type AccessControl, type ArtifactJudge, type Caller } from '../auth/access-control.js';

const allowAll: Decision = { allowed: true, reason: 'auth is off' };

export class PropertyAccess {
  constructor(private readonly access: AccessControl | undefined) {}

  /**
   * The caller, let into `repository` when any of `actions` allows it there. Decided here
   * only when no rule of `actions` reads the subject; otherwise only an anonymous caller is
   * refused now, and the subject's rules decide the rest.
   */
  async caller(request: FastifyRequest, repository: string, actions: readonly string[]): Promise<Caller> {
    const access = this.access;
    if (!access) return anonymous;
    const caller = await access.callerOfHeader(request.headers.authorization, access.realmFor(request));
    const resource = `repository:${repository}`;
    const decisions = await Promise.all(actions.map((action) => access.decideRepository(caller, action, repository)));
    const decided = !actions.some((action) => access.dependsOnArtifact(action));
    if (decisions.some((d) => d.allowed)) return caller;
    if (decided) this.enforce(request, caller, actions.join('/'), resource, decisions[0]!);
    else if (caller.kind === 'anonymous') this.enforce(request, caller, actions.join('/'), resource, { allowed: false, reason: 'authentication required' });
    return caller;
  }

  /** What the policy and protections say for this subject (all-allowing with auth off). */
  async judge(caller: Caller, facts: ArtifactFacts): Promise<ArtifactJudge> {
    if (!this.access) return { rule: () => allowAll, property: () => allowAll };
    return this.access.artifactJudge(caller, facts);
  }

  /** Records the decision; a refusal is a 401 for nobody, else 403 naming the rule. */
  enforce(request: FastifyRequest, caller: Caller, action: string, resource: string, decision: Decision): void {
    this.access?.audit(caller, action, resource, decision, request.id);
    if (decision.allowed) return;
    if (caller.kind === 'anonymous') {
      throw new RegistryError('UNAUTHORIZED', 'authentication required: send Basic credentials (a password or a robot token) or a registry token', {
        headers: { 'WWW-Authenticate': `Basic realm="${this.access?.realmFor(request) ?? 'scangate'}"` },
      });
    }
    throw new RegistryError('DENIED', `${action} on ${resource.slice(resource.indexOf(':') + 1)} is denied: ${decision.reason}`, { detail: { action, resource, reason: decision.reason } });
  }

  /** Who a change is recorded as. */
  actor(caller: Caller): string {
    return this.access ? callerLabel(caller) : 'anonymous';
  }
}
