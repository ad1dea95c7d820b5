// The properties API, Glance's image properties for artifacts and files:
//   GET   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/properties
//   GET   /api/v1/repositories/<name>/-/files/<path>/properties
//   PATCH (either)  Content-Type: application/json-patch+json (or Glance's
//         application/openstack-images-v2.1-json-patch), e.g.
//         [{"op":"add","path":"/x_billing_code_ntt","value":"ntt_3251"}]
// An artifact's properties are its manifest's OCI annotations (read-only: they are part of
// the signed bytes) and the properties set here; a file's are those set here. Reading
// needs the `read_property` rule; each change needs `set_property` (create, update) or
// `delete_property`, and the property protections for its operation. Properties the caller
// may not read are left out of every answer, and a patch cannot tell them from missing ones.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RegistryError } from '../../domain/errors.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { PropertyRecord, PropertyStore, PropertyWrites } from '../../ports/property-store.js';
import { planPropertyPatch, PropertyPatchError, propertyPatchMediaTypes, type PropertyPatchPlan } from '../../properties/json-patch.js';
import type { ArtifactFactsSource } from '../../registry/artifact-facts.js';
import { fileUnknown } from '../../registry/files.js';
import type { AccessControl, ArtifactJudge } from '../auth/access-control.js';
import { artifactHolders } from './artifact-holder.js';
import { fileHolders, type FileEntries } from './file-holder.js';
import type { PropertyHolder } from './holder.js';
import { parsePropertiesPath, propertiesPrefix, type PropertiesPath } from './paths.js';
import { PropertyAccess } from './property-access.js';

export { propertiesPrefix } from './paths.js';

export interface PropertyRoutesOptions {
  metadata: Pick<MetadataStore, 'getManifest' | 'resolveTag'>;
  properties: PropertyStore;
  facts: ArtifactFactsSource;
  /** The file store's entries; absent: no file store, and file URLs answer FILE_UNKNOWN. */
  files?: FileEntries;
  /** Absent with auth off: everyone may read and change every property. */
  access?: AccessControl;
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
  const { properties } = options;
  const access = new PropertyAccess(options.access);
  const artifacts = artifactHolders(options.metadata, options.facts);
  const files = options.files && fileHolders(options.files, properties);

  // JSON Patch bodies are JSON; Fastify knows only application/json by default.
  app.addContentTypeParser([...propertyPatchMediaTypes], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new RegistryError('UNSUPPORTED', 'the body is not valid JSON; send a JSON Patch array such as [{"op":"add","path":"/name","value":"text"}]', { status: 400 }));
    }
  });

  function pathOf(request: FastifyRequest): PropertiesPath {
    return parsePropertiesPath(request.url, (request.params as { '*': string })['*']);
  }

  async function resolve(path: PropertiesPath): Promise<PropertyHolder> {
    if (path.kind === 'artifact') return artifacts(path);
    if (!files) throw fileUnknown(path.repository, path.path);
    return files(path);
  }

  async function answer(holder: PropertyHolder, judge: ArtifactJudge) {
    return { ...holder.identity, properties: visible(holder, await properties.list(holder.subject), judge) };
  }

  app.get(`${propertiesPrefix}*`, async (request) => {
    const path = pathOf(request);
    const caller = await access.caller(request, path.repository, ['read_property']);
    const holder = await resolve(path);
    const judge = await access.judge(caller, holder.facts);
    access.enforce(request, caller, 'read_property', holder.resource, judge.rule('read_property'));
    return answer(holder, judge);
  });

  app.patch(`${propertiesPrefix}*`, async (request) => {
    const path = pathOf(request);
    const caller = await access.caller(request, path.repository, ['set_property', 'delete_property']);
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(propertyPatchMediaTypes as readonly string[]).includes(type)) {
      throw new RegistryError('UNSUPPORTED', `a properties PATCH takes Content-Type ${propertyPatchMediaTypes.join(' or ')}, not ${type || 'none'}`, { status: 415 });
    }
    const holder = await resolve(path);
    const judge = await access.judge(caller, holder.facts);
    const written = await properties.update(holder.subject, access.actor(caller), (stored) => ({
      writes: planChanges(holder, stored, request.body, judge, (action, resource, decision) => access.enforce(request, caller, action, resource, decision)),
      result: true,
    }));
    if (written === undefined) throw holder.unknown();
    return answer(holder, judge);
  });
};

/** The holder's fixed and stored properties the caller may read, sorted by name. */
function visible(holder: PropertyHolder, stored: PropertyRecord[], judge: ArtifactJudge): VisibleProperty[] {
  const shown: VisibleProperty[] = [];
  for (const [name, value] of Object.entries(holder.fixed)) shown.push({ name, value, source: 'annotation' });
  for (const p of stored) shown.push({ name: p.name, value: p.value, source: 'property', updatedBy: p.updatedBy, updatedAt: p.updatedAt.toISOString() });
  return shown.filter((p) => judge.property('read', p.name).allowed).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

type Enforce = (action: string, resource: string, decision: ReturnType<ArtifactJudge['rule']>) => void;

/**
 * What a patch writes, each change checked against the rules and the protections (any
 * refusal throws: nothing is written). Planned over what the caller sees, as Glance does:
 * fixed properties too (so that a patch naming one is refused as such), and not the
 * properties it may not read (a `replace` of one fails as "does not exist", the same answer
 * as for a property that is not there).
 */
function planChanges(holder: PropertyHolder, stored: Readonly<Record<string, string>>, body: unknown, judge: ArtifactJudge, enforce: Enforce): PropertyWrites {
  const current = Object.create(null) as Record<string, string>;
  for (const [name, value] of [...Object.entries(holder.fixed), ...Object.entries(stored)]) {
    if (judge.property('read', name).allowed) current[name] = value;
  }
  const plan = planPatch(current, body);
  const label = holder.resource.slice(holder.resource.indexOf(':') + 1);
  for (const change of plan.changes) {
    if (Object.hasOwn(holder.fixed, change.name)) {
      throw new RegistryError('DENIED', holder.fixedReason(change.name), { status: 409, detail: { property: change.name } });
    }
    const action = change.kind === 'delete' ? 'delete_property' : 'set_property';
    enforce(action, holder.resource, judge.rule(action));
    // Property protections name Glance's operations: create, update, delete.
    enforce(action, `property:${label}/${change.name}`, judge.property(change.kind, change.name));
  }
  return writesOf(plan);
}

function planPatch(current: Readonly<Record<string, string>>, body: unknown): PropertyPatchPlan {
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
