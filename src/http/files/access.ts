// Who may do what in the file store: the same actions as /v2 (pull to read and list, push to
// upload, delete to delete), decided by the same policy. The caller is known before the URL
// is even parsed, and the repository-level rule is decided before anything is looked up,
// so a caller who may not use a repository learns nothing of what it holds (401 with a
// challenge, or 403 naming the rule). A rule that reads the artifact (its digest, scan state
// or properties, as Glance's download_image reads an image's) is decided once the file is in
// hand. With auth off (no AccessControl) everyone may do everything.
import type { FastifyRequest } from 'fastify';
import { unauthorizedError } from '../../auth/authenticate.js';
import { RegistryError } from '../../domain/errors.js';
import type { FileRecord } from '../../ports/file-store.js';
import type { PropertyStore } from '../../ports/property-store.js';
import type { Decision } from '../../policy/index.js';
import { propertyValues } from '../../properties/values.js';
import { fileFacts } from '../../registry/artifact-facts.js';
import type { FileScanState } from '../../registry/files.js';
import { anonymous, type AccessControl, type Caller } from '../auth/access-control.js';
import type { RepositoryAction } from '../auth/actions.js';

/** A caller let into a repository; `deferred` when the rule must still see the file. */
export interface AdmittedCaller {
  caller: Caller;
  action: RepositoryAction;
  repository: string;
  deferred: boolean;
}

export class FileAccess {
  constructor(
    private readonly access: AccessControl | undefined,
    /** The properties set on files (the properties API); absent: files have none. */
    private readonly properties?: Pick<PropertyStore, 'list'>,
  ) {}

  /**
   * Who asks, from the Authorization header. A bad credential is a 401; so is no credential,
   * unless the action is a pull and anonymous pulls are on (the policy then decides).
   */
  async identify(request: FastifyRequest, action: RepositoryAction): Promise<Caller> {
    const access = this.access;
    if (!access) return anonymous;
    const caller = await access.callerOfHeader(request.headers.authorization, access.realmFor(request));
    if (caller.kind === 'anonymous' && (action !== 'pull' || !access.deps.anonymousPull)) throw this.challenge(request);
    return caller;
  }

  /** The repository-level decision (unless the rule reads the file: `onFile` defers it). */
  async admit(request: FastifyRequest, caller: Caller, action: RepositoryAction, repository: string, onFile: boolean): Promise<AdmittedCaller> {
    const access = this.access;
    const deferred = access !== undefined && onFile && access.dependsOnArtifact(action);
    if (access && !deferred) {
      const decision = await access.decideRepository(caller, action, repository);
      this.settle(request, caller, action, `repository:${repository}`, decision);
    }
    return { caller, action, repository, deferred };
  }

  /** The deferred decision, with the file's digest, scan state and properties in the target. */
  async checkFile(request: FastifyRequest, admitted: AdmittedCaller, file: FileRecord, scanState: () => Promise<FileScanState>): Promise<void> {
    const access = this.access;
    if (!access || !admitted.deferred) return;
    const [state, properties] = await Promise.all([scanState(), this.properties?.list({ kind: 'file', repository: file.repository, path: file.path }) ?? []]);
    const facts = fileFacts(file, state, propertyValues(properties));
    const decision = await access.decideArtifact(admitted.caller, admitted.action, facts);
    this.settle(request, admitted.caller, admitted.action, `file:${file.repository}/-/${file.path}`, decision);
  }

  private settle(request: FastifyRequest, caller: Caller, action: RepositoryAction, resource: string, decision: Decision): void {
    this.access?.audit(caller, action, resource, decision, request.id);
    if (decision.allowed) return;
    if (caller.kind === 'anonymous') throw this.challenge(request);
    const what = resource.slice(resource.indexOf(':') + 1);
    throw new RegistryError('DENIED', `${action} on ${what} is denied: ${decision.reason}`, { detail: { action, resource, reason: decision.reason } });
  }

  private challenge(request: FastifyRequest): RegistryError {
    const realm = this.access!.realmFor(request);
    return unauthorizedError(undefined, `Basic realm="${realm}", Bearer realm="${realm}"`);
  }
}
