// URLs of the reports API, beside the properties API's:
//   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/vulnerabilities              latest reports
//   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/vulnerabilities/history      all, newest first
//   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/vulnerabilities/summary      by severity
//   /api/v1/repositories/<name>/artifacts/<tag-or-digest>/vulnerabilities/reports/<id> one report
//   POST /api/v1/repositories/<name>/artifacts/<tag-or-digest>/vulnerabilities/scan   scan it now
//   /api/v1/vulnerabilities/<id>/artifacts                                             CVE search
// Repository names nest, so the router cannot tell `…/vulnerabilities` from `…/properties` by
// a path segment: both live under the `/api/v1/repositories/*` wildcard, and a route
// constraint derived from the URL's ending (reportsConstraint) sends these here.
import { RegistryError } from '../../domain/errors.js';
import { checkedArtifact, propertiesPrefix as repositoriesPrefix } from '../properties/paths.js';

export { repositoriesPrefix };
export const vulnerabilitiesPrefix = '/api/v1/vulnerabilities/';

export type ReportView = { kind: 'latest' } | { kind: 'history' } | { kind: 'summary' } | { kind: 'scan' } | { kind: 'report'; id: string };

export interface ReportPath {
  repository: string;
  reference: string;
  view: ReportView;
}

const reportUrl = /^(.+)\/artifacts\/([^/]+)\/vulnerabilities(?:\/(history|summary|scan)|\/reports\/([^/]+))?$/;

/** Whether a path (after `/api/v1/repositories/`) is one of the reports API's. */
export function isReportPath(rest: string): boolean {
  return reportUrl.test(rest);
}

/** What a reports URL names; `rest` is the decoded path after the prefix. */
export function parseReportPath(rest: string): ReportPath {
  const match = reportUrl.exec(rest);
  if (!match) throw new RegistryError('UNSUPPORTED', `no such endpoint: ${rest}`, { status: 404 });
  const [, name, ref, view, id] = match;
  const artifact = checkedArtifact(name!, ref!);
  if (id !== undefined) return { ...artifact, view: { kind: 'report', id } };
  return { ...artifact, view: { kind: view === 'history' || view === 'summary' || view === 'scan' ? view : 'latest' } };
}

/**
 * The route constraint that sends reports URLs to the reports routes (Fastify's custom
 * constraint strategies): derived from the URL, `reports` for the shapes above. Other URLs
 * derive nothing and go to the unconstrained properties route.
 */
export const reportsConstraint = {
  name: 'scangateApi',
  storage() {
    const handlers = new Map<string, unknown>();
    return {
      get: (value: string) => (handlers.get(value) ?? null) as never,
      set: (value: string, handler: unknown) => void handlers.set(value, handler),
    };
  },
  deriveConstraint(request: { url?: string }): string | undefined {
    const path = (request.url ?? '').split('?', 1)[0]!;
    if (!path.startsWith(repositoriesPrefix)) return undefined;
    let rest: string;
    try {
      rest = decodeURIComponent(path.slice(repositoriesPrefix.length));
    } catch {
      return undefined;
    }
    return isReportPath(rest) ? 'reports' : undefined;
  },
  mustMatchWhenDerived: false,
};
