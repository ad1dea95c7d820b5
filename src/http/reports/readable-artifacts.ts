// Which artifacts a caller may read the reports of, for the CVE search: the `read_report`
// rule per artifact. When the rule reads nothing of the artifact (the default
// `rule:is_reader`) it is decided once per repository; otherwise with each artifact's facts
// (properties, tag, scan state...), as the single-artifact routes decide it.
import type { FastifyRequest } from 'fastify';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { VulnerableArtifact } from '../../ports/vulnerability-report-store.js';
import type { ArtifactFactsSource } from '../../registry/artifact-facts.js';
import { anonymous, type AccessControl, type Caller } from '../auth/access-control.js';
import { PropertyAccess } from '../properties/property-access.js';

const rule = 'read_report';

export interface ReadableArtifactsDeps {
  metadata: Pick<MetadataStore, 'getManifest'>;
  facts: ArtifactFactsSource;
  /** Absent with auth off: everything is readable. */
  access?: AccessControl;
}

export class ReadableArtifacts {
  readonly #enforcer: PropertyAccess;

  constructor(private readonly deps: ReadableArtifactsDeps) {
    this.#enforcer = new PropertyAccess(deps.access);
  }

  /** The caller of a search: credentials are needed (401 without), as on every API. */
  async caller(request: FastifyRequest): Promise<Caller> {
    const access = this.deps.access;
    if (!access) return anonymous;
    const caller = await access.callerOfHeader(request.headers.authorization, access.realmFor(request));
    if (caller.kind === 'anonymous') this.#enforcer.enforce(request, caller, rule, 'vulnerability:search', { allowed: false, reason: 'authentication required' });
    return caller;
  }

  /** A checker for one search: repository-level decisions are taken once each. */
  checker(caller: Caller): (artifact: Pick<VulnerableArtifact, 'repository' | 'digest'>) => Promise<boolean> {
    const access = this.deps.access;
    if (!access) return async () => true;
    const byRepository = new Map<string, Promise<boolean>>();
    const perArtifact = access.dependsOnArtifact(rule);
    return async ({ repository, digest }) => {
      if (!perArtifact) {
        let allowed = byRepository.get(repository);
        if (!allowed) byRepository.set(repository, (allowed = access.decideRepository(caller, rule, repository).then((d) => d.allowed)));
        return allowed;
      }
      const manifest = await this.deps.metadata.getManifest(repository, digest);
      // Deleted since the search found it: nothing to show.
      if (!manifest) return false;
      return (await access.decideArtifact(caller, rule, await this.deps.facts.forManifest(repository, manifest))).allowed;
    };
  }
}

