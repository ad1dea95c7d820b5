// The decisions taken with the artifact in hand, after the v2 guard let the request in:
// - the policy, for rules that read the artifact (properties, tag, digest, scan state,
//   vulnerabilities): pull and delete of a manifest, GET and DELETE of a blob; and the
//   `tag` rule for each tag a manifest PUT sets;
// - the vulnerability gate of the repository's namespace, on every manifest pull, auth or
//   not (it is about the content, like the quarantine), except a scanner adapter's pull with
//   the token scangate gave it (src/auth/scanner-token.ts).
// A blob is pulled through the manifests that reference it: it may be pulled when the
// policy allows at least one of them (a base layer shared with an allowed image stays
// pullable; the layers only a restricted image has do not).
import type { FastifyRequest } from 'fastify';
import type { Digest } from '../../domain/digest.js';
import { RegistryError } from '../../domain/errors.js';
import { namespaceOf } from '../../domain/names.js';
import type { ManifestRecord } from '../../ports/metadata-store.js';
import type { ArtifactFacts, Decision } from '../../policy/index.js';
import type { ArtifactFactsSource } from '../../registry/artifact-facts.js';
import { anonymous, type AccessControl, type Caller } from './access-control.js';
import { requestCaller, requestTokenSubject } from './request-caller.js';
import { isScannerTokenSubject } from '../../auth/scanner-token.js';
import type { Events } from '../../ports/event-sink.js';
import { emitPullDenied, vulnerabilityDenial } from './pull-denials.js';

/** The vulnerability gate's answer for an artifact (src/vulnerabilities/gate.ts). */
export type GateAnswer = { allowed: true } | { allowed: false; reason: string; detail?: Record<string, unknown> };

export interface VulnerabilityGateCheck {
  /** `manifest` and, for an index, the manifests it lists, are judged together. */
  check(repository: string, manifest: ManifestRecord): Promise<GateAnswer>;
}

export interface ArtifactGuardDeps {
  facts: ArtifactFactsSource;
  /** Identity and policy; absent with auth off. */
  access?: AccessControl;
  /** Absent: no vulnerability gates. */
  vulnerabilities?: VulnerabilityGateCheck;
  /** Pulls refused here are pull.denied events; absent: none. */
  events?: Events;
}

export type ArtifactAction = 'pull' | 'delete';

export class ArtifactGuard {
  constructor(private readonly deps: ArtifactGuardDeps) {}

  async checkManifest(request: FastifyRequest, action: ArtifactAction, repository: string, manifest: ManifestRecord, reference: string): Promise<void> {
    const access = this.deps.access;
    const scanner = isScannerTokenSubject(requestTokenSubject(request));
    if (access?.dependsOnArtifact(action) && !scanner) {
      const caller = await this.callerOf(request);
      const tag = reference === manifest.digest ? undefined : reference;
      const decision = await access.decideArtifact(caller, action, await this.deps.facts.forManifest(repository, manifest, tag));
      if (!decision.allowed && action === 'pull') {
        await emitPullDenied(this.deps.events, request, { repository, digest: manifest.digest, tag: tag ?? null, denial: { gate: 'policy', rule: action, reason: decision.reason, cves: [] } });
      }
      this.settle(access, caller, action, `artifact:${repository}:${reference}`, decision, request);
    }
    // A scanner adapter pulling the image it was asked to scan is held neither by rules over
    // the artifact (a restricted image must be scanned too; its token allows pulling that one
    // repository for minutes, and only scangate mints it) nor by the findings.
    if (action === 'pull' && this.deps.vulnerabilities && !scanner) {
      const answer = await this.deps.vulnerabilities.check(repository, manifest);
      if (!answer.allowed) {
        await emitPullDenied(this.deps.events, request, vulnerabilityDenial(repository, manifest.digest, reference, answer));
        if (access) access.audit((await requestCaller(request)) ?? anonymous, 'pull', `artifact:${repository}:${reference}`, { allowed: false, reason: answer.reason }, request.id);
        throw new RegistryError('DENIED', `pull of ${repository}:${reference} is denied by the vulnerability gate: ${answer.reason}`, {
          detail: { action: 'pull', resource: `artifact:${repository}:${reference}`, gate: 'vulnerability', ...answer.detail },
        });
      }
    }
  }

  /**
   * A manifest PUT that names tags (by reference or `?tag=`) needs the `tag` rule for each,
   * besides the push the v2 guard checked: moving a tag is a decision of its own.
   */
  async checkTags(request: FastifyRequest, repository: string, tags: readonly string[]): Promise<void> {
    const access = this.deps.access;
    if (!access || tags.length === 0) return;
    const caller = await this.callerOf(request);
    for (const tag of tags) {
      const decision = await access.decideArtifact(caller, 'tag', { namespace: namespaceOf(repository), repository, tag });
      this.settle(access, caller, 'tag', `tag:${repository}:${tag}`, decision, request);
    }
  }

  async checkBlob(request: FastifyRequest, action: ArtifactAction, repository: string, digest: Digest): Promise<void> {
    const access = this.deps.access;
    if (!access?.dependsOnArtifact(action) || isScannerTokenSubject(requestTokenSubject(request))) return;
    const caller = await this.callerOf(request);
    const artifacts: ArtifactFacts[] = await this.deps.facts.forBlob(repository, digest);
    // A blob no manifest references yet (pushed, not yet tagged) has only its repository.
    if (artifacts.length === 0) artifacts.push({ namespace: namespaceOf(repository), repository, digest });
    let decision: Decision | undefined;
    for (const facts of artifacts) {
      const next = await access.decideArtifact(caller, action, facts);
      if (next.allowed || decision === undefined) decision = next;
      if (next.allowed) break;
    }
    this.settle(access, caller, action, `blob:${repository}@${digest}`, decision!, request);
  }

  private settle(access: AccessControl, caller: Caller, action: string, resource: string, decision: Decision, request: FastifyRequest): void {
    access.audit(caller, action, resource, decision, request.id);
    if (decision.allowed) return;
    const what = resource.slice(resource.indexOf(':') + 1);
    throw new RegistryError('DENIED', `${action} of ${what} is denied: ${decision.reason}`, { detail: { action, resource, reason: decision.reason } });
  }

  private async callerOf(request: FastifyRequest): Promise<Caller> {
    const caller = await requestCaller(request);
    // The token's subject was deleted or disabled since the token was issued.
    if (caller === undefined) throw new RegistryError('UNAUTHORIZED', 'the account this token was issued to no longer exists or is disabled; log in again');
    return caller;
  }
}
