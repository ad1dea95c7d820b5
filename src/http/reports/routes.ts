// The reports API (paths.ts for the URLs): an artifact's latest vulnerability reports, their
// history, a summary by severity, one report by id, and the artifacts with a given CVE.
// Every answer goes through the policy rule `read_report`, decided as the properties API
// decides its rules (src/http/properties/property-access.ts): the repository-level rule before
// anything is looked up, the artifact's rules with the artifact in hand, a 403 naming the rule.
// The CVE search decides `read_report` for each artifact it would list and leaves out those the
// caller may not read, so it never tells of other namespaces' content. With auth off, open.
//
// An index's reports are its image manifests' (an adapter scans each image, not the index).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Digest } from '../../domain/digest.js';
import { isDigest } from '../../domain/digest.js';
import { RegistryError } from '../../domain/errors.js';
import { isRepositoryName } from '../../domain/names.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { VulnerabilityReportStore } from '../../ports/vulnerability-report-store.js';
import type { ArtifactFactsSource } from '../../registry/artifact-facts.js';
import { parsePageSize } from '../../registry/listings.js';
import { parseInput } from '../admin/input.js';
import type { AccessControl } from '../auth/access-control.js';
import { withNextLink } from '../oci/listing-handlers.js';
import { artifactHolders } from '../properties/artifact-holder.js';
import type { PropertyHolder } from '../properties/holder.js';
import { PropertyAccess } from '../properties/property-access.js';
import { RescanError, type QueuedRescan } from '../../vulnerabilities/rescan.js';
import { parseReportPath, reportsConstraint, repositoriesPrefix, vulnerabilitiesPrefix } from './paths.js';
import { renderReport, severitySummary } from './render.js';
import { ReadableArtifacts } from './readable-artifacts.js';

export interface ReportRoutesOptions {
  metadata: Pick<MetadataStore, 'getManifest' | 'resolveTag' | 'getManifestReferences'>;
  reports: VulnerabilityReportStore;
  facts: ArtifactFactsSource;
  /** Absent with auth off: everyone may read every report. */
  access?: AccessControl;
  /** The most entries a page holds (registry.maxPageSize). */
  maxPageSize: number;
  /** Queues a scan of an artifact by its repository's adapters (queueRescan); absent: none registered. */
  rescan?: (repository: string, reference: string) => Promise<QueuedRescan>;
}

export const readReportRule = 'read_report';
export const triggerScanRule = 'trigger_scan';

const text = z.string().min(1).max(256);
const latestQuery = z.object({ scanner: text.optional(), mimeType: text.optional() });
const historyQuery = z.object({ scanner: text.optional(), n: z.string().optional(), last: text.optional() });
const searchQuery = z.object({ n: z.string().optional(), last: text.optional() });
/** Vulnerability ids as scanners write them: CVE-…, GHSA-…, RUSTSEC-…, GO-…, ALAS-…, … */
const vulnerabilityId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

const noScanners = async (): Promise<QueuedRescan> => {
  throw new RescanError('no vulnerability scanner is registered (vulnerabilityScanners, --adapter NAME=URL, or /admin/vulnerability-scanners)');
};

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, options) => {
  const { reports, metadata } = options;
  const access = new PropertyAccess(options.access);
  const artifacts = artifactHolders(metadata, options.facts);
  const readable = new ReadableArtifacts({ metadata, facts: options.facts, ...(options.access ? { access: options.access } : {}) });
  app.addConstraintStrategy(reportsConstraint);

  /** The artifact, once the caller may read its reports; and the manifests whose reports are its own. */
  async function readableArtifact(request: FastifyRequest, repository: string, reference: string): Promise<{ holder: PropertyHolder; digests: Digest[] }> {
    const caller = await access.caller(request, repository, [readReportRule]);
    const holder = await artifacts({ kind: 'artifact', repository, reference });
    const judge = await access.judge(caller, holder.facts);
    access.enforce(request, caller, readReportRule, holder.resource, judge.rule(readReportRule));
    const digest = holder.identity['digest'] as Digest;
    const children = (await metadata.getManifestReferences(repository, digest)).filter((r) => r.kind === 'manifest').map((r) => r.digest);
    return { holder, digests: [digest, ...children] };
  }

  app.get(`${repositoriesPrefix}*`, { constraints: { [reportsConstraint.name]: 'reports' } }, async (request, reply) => {
    const path = parseReportPath((request.params as { '*': string })['*']);
    const { holder, digests } = await readableArtifact(request, path.repository, path.reference);
    const identity = { repository: path.repository, digest: holder.identity['digest'] };
    switch (path.view.kind) {
      case 'latest': {
        const query = parseInput(latestQuery, request.query, 'query');
        const latest = (await reports.latestReports(digests)).filter(
          (r) => (query.scanner === undefined || r.scanner === query.scanner) && (query.mimeType === undefined || (r.status === 'completed' && r.mimeType === query.mimeType)),
        );
        return { ...identity, reports: latest.map(renderReport) };
      }
      case 'history': {
        const query = parseInput(historyQuery, request.query, 'query');
        const n = parsePageSize(query.n, options.maxPageSize);
        const page = await reports.historyPage(digests, { limit: n + 1, ...(query.last ? { after: query.last } : {}), ...(query.scanner ? { scanner: query.scanner } : {}) });
        const shown = page.slice(0, n);
        const next = page.length > n && n > 0 ? { n, last: shown.at(-1)!.id } : undefined;
        const base = request.url.split('?', 1)[0]!;
        return withNextLink(reply, base, next ? { next } : {}).send({ ...identity, reports: shown.map(renderReport) });
      }
      case 'summary': {
        const completed = (await reports.latestReports(digests)).flatMap((r) => (r.status === 'completed' ? [r] : []));
        return { ...identity, ...severitySummary(completed) };
      }
      case 'scan':
        throw new RegistryError('UNSUPPORTED', `POST ${request.url.split('?', 1)[0]} to scan ${path.repository}:${path.reference} now`, { status: 405, headers: { allow: 'POST' } });
      case 'report': {
        const record = await reports.getReport(path.view.id);
        if (!record || !digests.includes(record.digest)) {
          throw new RegistryError('UNSUPPORTED', `no vulnerability report ${path.view.id} of ${path.repository}:${path.reference}`, { status: 404, detail: { id: path.view.id } });
        }
        return { ...identity, ...renderReport(record) };
      }
    }
  });

  // On demand: the artifact's scans are queued (an index: each image it lists), 202. Its last
  // completed report keeps serving the gates until the new one is in.
  app.post(`${repositoriesPrefix}*`, { constraints: { [reportsConstraint.name]: 'reports' } }, async (request, reply) => {
    const path = parseReportPath((request.params as { '*': string })['*']);
    if (path.view.kind !== 'scan') {
      throw new RegistryError('UNSUPPORTED', `POST is only for …/vulnerabilities/scan; ${request.url.split('?', 1)[0]} is read with GET`, { status: 405, headers: { allow: 'GET' } });
    }
    const caller = await access.caller(request, path.repository, [triggerScanRule]);
    const holder = await artifacts({ kind: 'artifact', repository: path.repository, reference: path.reference });
    const judge = await access.judge(caller, holder.facts);
    access.enforce(request, caller, triggerScanRule, holder.resource, judge.rule(triggerScanRule));
    const digest = holder.identity['digest'] as Digest;
    const queued = await (options.rescan ?? noScanners)(path.repository, digest).catch((error: unknown) => {
      if (error instanceof RescanError) throw new RegistryError('UNSUPPORTED', error.message, { status: 409, cause: error });
      throw error;
    });
    const location = `${repositoriesPrefix}${path.repository}/artifacts/${digest}/vulnerabilities`;
    return reply.code(202).header('location', location).send({ repository: path.repository, digest, scanning: queued.digests, jobs: queued.jobs });
  });

  app.get(`${vulnerabilitiesPrefix}:id/artifacts`, async (request, reply) => {
    const caller = await readable.caller(request);
    const { id } = request.params as { id: string };
    if (!vulnerabilityId.test(id)) {
      throw new RegistryError('UNSUPPORTED', `invalid vulnerability id ${JSON.stringify(id.slice(0, 140))}: expected an id such as CVE-2024-1234 or GHSA-xxxx-xxxx-xxxx`, { status: 400, detail: { id } });
    }
    const query = parseInput(searchQuery, request.query, 'query');
    const n = parsePageSize(query.n, options.maxPageSize);
    let after = query.last === undefined ? undefined : parseArtifactCursor(query.last);
    const allows = readable.checker(caller);
    const shown = [];
    // The store pages over everything; what the caller may not read is left out, page after page.
    while (n > 0 && shown.length <= n) {
      const batch = await reports.artifactsWith(id, { limit: n + 1, ...(after ? { after } : {}) });
      for (const artifact of batch) if (await allows(artifact)) shown.push(artifact);
      if (batch.length <= n) break;
      after = batch.at(-1)!;
    }
    const page = shown.slice(0, n);
    const last = page.at(-1);
    const next = shown.length > n && last ? { n, last: `${last.repository}@${last.digest}` } : undefined;
    return withNextLink(reply, request.url.split('?', 1)[0]!, next ? { next } : {}).send({
      vulnerability: id,
      artifacts: page.map((a) => ({ ...a, findings: a.findings.map(({ cve: _, ...finding }) => finding) })),
    });
  });
};

/** `last` of the CVE search: `<repository>@<digest>` of the last artifact shown. */
function parseArtifactCursor(last: string): { repository: string; digest: Digest } {
  const at = last.indexOf('@');
  const repository = last.slice(0, at);
  const digest = last.slice(at + 1);
  if (at <= 0 || !isRepositoryName(repository) || !isDigest(digest)) {
    throw new RegistryError('UNSUPPORTED', `invalid last ${JSON.stringify(last)}: expected <repository>@<digest>, as the Link header gives it`, { status: 400, detail: { last } });
  }
  return { repository, digest };
}
