// pull.denied events, from the two places a pull is refused: the v2 guard (the policy over the
// repository, before dispatch) and the artifact guard (the policy over the artifact, and the
// vulnerability gate). Built from what the refusal already knows; nothing is looked up.
import type { FastifyRequest } from 'fastify';
import { isDigest } from '../../domain/digest.js';
import { newEvent, type EventData, type VulnerabilityItem } from '../../domain/events.js';
import { isRegistryError } from '../../domain/errors.js';
import type { Events } from '../../ports/event-sink.js';
import { parseOciPath } from '../oci/paths.js';
import { requestActor } from './request-actor.js';

export interface DeniedPull {
  repository: string;
  digest: string | null;
  tag: string | null;
  denial: EventData['pull.denied'];
}

export async function emitPullDenied(events: Events | undefined, request: FastifyRequest, pull: DeniedPull): Promise<void> {
  if (!events) return;
  events.emit(newEvent('pull.denied', { repository: pull.repository, digest: pull.digest, tag: pull.tag, actor: await requestActor(request) }, pull.denial));
}

/** A DENIED of the v2 guard on a pull: the repository, and the tag or digest when the path names one. */
export async function emitGuardDenial(events: Events | undefined, request: FastifyRequest, error: unknown): Promise<void> {
  if (!events || !isRegistryError(error) || error.code !== 'DENIED') return;
  const detail = error.detail as { action?: string; resource?: string; reason?: string } | undefined;
  if (detail?.action !== 'pull' || !detail.resource?.startsWith('repository:')) return;
  let reference: string | undefined;
  try {
    const endpoint = parseOciPath((request.params as { '*'?: string })['*'] ?? '');
    if (endpoint?.kind === 'manifest') reference = endpoint.reference;
    else if (endpoint?.kind === 'blob') reference = endpoint.digest;
  } catch {
    // A bad name: the repository in the denial is all there is.
  }
  await emitPullDenied(events, request, {
    repository: detail.resource.slice('repository:'.length),
    digest: reference !== undefined && isDigest(reference) ? reference : null,
    tag: reference !== undefined && !isDigest(reference) ? reference : null,
    denial: { gate: 'policy', rule: 'pull', reason: detail.reason ?? error.message, cves: [] },
  });
}

/** A vulnerability gate's refusal as a pull.denied event: the rule, the CVEs that blocked, and those findings as its report. */
export function vulnerabilityDenial(repository: string, digest: string, reference: string, answer: { reason: string; detail?: Record<string, unknown> }): DeniedPull {
  const detail = (answer.detail ?? {}) as { rule?: string; blocking?: VulnerabilityItem[] };
  const blocking = detail.blocking ?? [];
  return {
    repository,
    digest,
    tag: reference === digest ? null : reference,
    denial: { gate: 'vulnerability' as const, rule: detail.rule ?? 'vulnerability', reason: answer.reason, cves: blocking.map((b) => b.cve), report: { blocking } },
  };
}
