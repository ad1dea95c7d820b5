// The artifact properties API, Glance's image properties for any artifact:
//   GET   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/properties
//   PATCH (same path)  Content-Type: application/json-patch+json (or Glance's
//         application/openstack-images-v2.1-json-patch), e.g.
//         [{"op":"add","path":"/x_billing_code_ntt","value":"ntt_3251"}]
// Properties are the manifest's OCI annotations (read-only: they are part of the signed
// bytes) and the properties set here. Reading needs the `read_property` rule; each change
// needs `set_property` (create, update) or `delete_property`, and the property protections
// for its operation. Properties the caller may not read are left out of every answer.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { isDigest, type Digest } from '../../domain/digest.js';
import { RegistryError, manifestUnknown } from '../../domain/errors.js';
import { isRepositoryName, isTag } from '../../domain/names.js';
import type { ManifestRecord, MetadataStore } from '../../ports/metadata-store.js';
import type { PropertyRecord, PropertyStore, PropertyWrites } from '../../ports/property-store.js';
import type { ArtifactFacts, Decision } from '../../policy/index.js';
import { planPropertyPatch, PropertyPatchError, propertyPatchMediaTypes, type PropertyPatchPlan } from '../../properties/json-patch.js';
import type { ArtifactFactsSource } from '../../registry/artifact-facts.js';
import { anonymous, callerLabel, type AccessControl, type ArtifactJudge, type Caller } from '../auth/access-control.js';

export interface PropertyRoutesOptions {
  metadata: Pick<MetadataStore, 'getManifest' | 'resolveTag'>;
  properties: PropertyStore;
  facts: ArtifactFactsSource;
  /** Absent with auth off: everyone may read and change every property. */
  access?: AccessControl;
}

export const propertiesPrefix = '/api/v1/repositories/';

interface ArtifactPath {
  repository: string;
  reference: string;
}

/** `<name>/artifacts/<reference>/properties`; names nest, so the reference is found from the end. */
function parseArtifactPath(rest: string): ArtifactPath {
  const suffix = '/properties';
  const at = rest.lastIndexOf('/artifacts/');
  if (!rest.endsWith(suffix) || at <= 0) {
    throw new RegistryError('UNSUPPORTED', `no such endpoint: ${propertiesPrefix}${rest} (expected ${propertiesPrefix}<name>/artifacts/<tag-or-digest>/properties)`, { status: 404 });
  }
  const repository = rest.slice(0, at);
  const reference = rest.slice(at + '/artifacts/'.length, rest.length - suffix.length);
  if (!isRepositoryName(repository)) throw new RegistryError('NAME_INVALID', `invalid repository name: ${repository}`, { detail: { name: repository } });
  if (!isDigest(reference) && !isTag(reference)) throw manifestUnknown(reference);
  return { repository, reference };
}

interface VisibleProperty {
  name: string;
  value: string;
  /** `annotation`: from the manifest (read-only); `property`: set through this API. */
  source: 'annotation' | 'property';
  updatedBy?: string;
  updatedAt?: string;
}

export const propertyRoutes: FastifyPluginAsync<PropertyRoutesOptions> = async (app, options) => {
  const { metadata, properties, facts, access } = options;

  // JSON Patch bodies are JSON; Fastify knows only application/json by default.
  app.addContentTypeParser([...propertyPatchMediaTypes], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new RegistryError('UNSUPPORTED', 'the body is not valid JSON; send a JSON Patch array such as [{"op":"add","path":"/name","value":"text"}]', { status: 400 }));
    }
  });

  async function resolve(path: ArtifactPath): Promise<ManifestRecord> {
    const digest = isDigest(path.reference) ? path.reference : await metadata.resolveTag(path.repository, path.reference);
    const record = digest && (await metadata.getManifest(path.repository, digest as Digest));
    if (!record) throw manifestUnknown(path.reference);
    return record;
  }

  /**
   * Who asks: known before anything is looked up, so that a caller who may not use the API
   * on this repository learns nothing of what it holds (401/403, never a 404 first). A rule
   * that reads the artifact is decided later, with the artifact (judgeFor).
   */
  async function callerFor(request: FastifyRequest, path: ArtifactPath, actions: readonly string[]): Promise<Caller> {
    if (!access) return anonymous;
    const caller = await access.callerOfHeader(request.headers.authorization, access.realmFor(request));
    const resource = `repository:${path.repository}`;
    // Decided here only when no rule of `actions` reads the artifact; allowed when any allows.
    const decisions = await Promise.all(actions.map((action) => access.decideRepository(caller, action, path.repository)));
    const decided = !actions.some((action) => access.dependsOnArtifact(action));
    if (decisions.some((d) => d.allowed)) return caller;
    if (decided) enforce(request, caller, actions.join('/'), resource, decisions[0]!);
    else if (caller.kind === 'anonymous') enforce(request, caller, actions.join('/'), resource, { allowed: false, reason: 'authentication required' });
    return caller;
  }

  /** What the policy and protections say for this artifact (all-allowing with auth off). */
  async function judgeFor(caller: Caller, artifact: ArtifactFacts): Promise<ArtifactJudge> {
    if (!access) return { rule: () => allowAll, property: () => allowAll };
    return access.artifactJudge(caller, artifact);
  }

  function enforce(request: FastifyRequest, caller: Caller, action: string, resource: string, decision: Decision): void {
    access?.audit(caller, action, resource, decision, request.id);
    if (decision.allowed) return;
    if (caller.kind === 'anonymous') {
      throw new RegistryError('UNAUTHORIZED', 'authentication required: send Basic credentials (a password or a robot token) or a registry token', {
        headers: { 'WWW-Authenticate': `Basic realm="${access?.realmFor(request) ?? 'scangate'}"` },
      });
    }
    throw new RegistryError('DENIED', `${action} on ${resource.slice(resource.indexOf(':') + 1)} is denied: ${decision.reason}`, { detail: { action, resource, reason: decision.reason } });
  }

  function visible(record: ManifestRecord, stored: PropertyRecord[], judge: ArtifactJudge): VisibleProperty[] {
    const shown: VisibleProperty[] = [];
    for (const [name, value] of Object.entries(record.annotations ?? {})) shown.push({ name, value, source: 'annotation' });
    for (const p of stored) shown.push({ name: p.name, value: p.value, source: 'property', updatedBy: p.updatedBy, updatedAt: p.updatedAt.toISOString() });
    return shown.filter((p) => judge.property('read', p.name).allowed).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async function answer(path: ArtifactPath, record: ManifestRecord, judge: ArtifactJudge) {
    return { repository: path.repository, digest: record.digest, properties: visible(record, await properties.list(path.repository, record.digest as Digest), judge) };
  }

  app.get(`${propertiesPrefix}*`, async (request) => {
    const path = parseArtifactPath((request.params as { '*': string })['*']);
    const caller = await callerFor(request, path, ['read_property']);
    const record = await resolve(path);
    const judge = await judgeFor(caller, await facts.forManifest(path.repository, record, tagOf(path, record)));
    enforce(request, caller, 'read_property', `artifact:${path.repository}:${path.reference}`, judge.rule('read_property'));
    return answer(path, record, judge);
  });

  app.patch(`${propertiesPrefix}*`, async (request) => {
    const path = parseArtifactPath((request.params as { '*': string })['*']);
    const caller = await callerFor(request, path, ['set_property', 'delete_property']);
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(propertyPatchMediaTypes as readonly string[]).includes(type)) {
      throw new RegistryError('UNSUPPORTED', `a properties PATCH takes Content-Type ${propertyPatchMediaTypes.join(' or ')}, not ${type || 'none'}`, { status: 415 });
    }
    const record = await resolve(path);
    const judge = await judgeFor(caller, await facts.forManifest(path.repository, record, tagOf(path, record)));
    const resource = `artifact:${path.repository}:${path.reference}`;
    const annotations = record.annotations ?? {};
    const written = await properties.update(path.repository, record.digest as Digest, access ? callerLabel(caller) : 'anonymous', (stored) => {
      // Planned over what the caller sees, as Glance does: annotations too (so that a patch
      // naming one is refused as such), and not the properties it may not read (a `replace`
      // of one fails as "does not exist", the same answer as for a property that is not there).
      const current = Object.create(null) as Record<string, string>;
      for (const [name, value] of [...Object.entries(annotations), ...Object.entries(stored)]) {
        if (judge.property('read', name).allowed) current[name] = value;
      }
      const plan = planPatch(current, request.body);
      for (const change of plan.changes) {
        if (Object.hasOwn(annotations, change.name)) {
          throw new RegistryError('DENIED', `${change.name} is an OCI annotation of the manifest: annotations are part of its content and cannot be changed here (push a new manifest)`, {
            status: 409,
            detail: { property: change.name },
          });
        }
        const action = change.kind === 'delete' ? 'delete_property' : 'set_property';
        enforce(request, caller, action, resource, judge.rule(action));
        // Property protections name Glance's operations: create, update, delete.
        enforce(request, caller, action, `property:${path.repository}:${path.reference}/${change.name}`, judge.property(change.kind, change.name));
      }
      return { writes: writesOf(plan), result: true };
    });
    if (written === undefined) throw manifestUnknown(path.reference);
    return answer(path, record, judge);
  });
};

const allowAll: Decision = { allowed: true, reason: 'auth is off' };

function tagOf(path: ArtifactPath, record: ManifestRecord): string | undefined {
  return path.reference === record.digest ? undefined : path.reference;
}

function planPatch(current: Readonly<Record<string, string>>, body: unknown) {
  try {
    return planPropertyPatch(current, body);
  } catch (error) {
    if (!(error instanceof PropertyPatchError)) throw error;
    throw new RegistryError('UNSUPPORTED', error.message, {
      status: error.kind === 'conflict' ? 409 : 400,
      detail: { op: error.opIndex },
    });
  }
}

/** The names a patch touched, set to their final value or removed; properties it did not touch (hidden ones too) stay. */
function writesOf(plan: PropertyPatchPlan): PropertyWrites {
  const set = Object.create(null) as Record<string, string>;
  const remove: string[] = [];
  for (const name of new Set(plan.changes.map((c) => c.name))) {
    if (Object.hasOwn(plan.result, name)) set[name] = plan.result[name]!;
    else remove.push(name);
  }
  return { set, remove };
}
