// Assembles the admission webhook from the app's dependencies: the image check over the same
// manifests, malware gate and vulnerability gate the pull path uses, and the webhook's token.
import { readFile } from 'node:fs/promises';
import { ImageCheck } from '../../kube-admission/image-check.js';
import { openGatekeeper } from '../../quarantine/gatekeeper.js';
import { ManifestService } from '../../registry/manifests.js';
import { PullVulnerabilityGate } from '../../vulnerabilities/pull-gate.js';
import type { AppDeps } from '../app.js';
import type { AdmissionRoutesOptions } from './routes.js';

/** A token shorter than this is refused at start, as `admission.token` is by the schema. */
const minTokenLength = 16;

export async function createAdmissionRoutesOptions(deps: AppDeps): Promise<AdmissionRoutesOptions> {
  const { config, logger } = deps;
  const admission = config.admission;
  const gatekeeper = deps.gatekeeper ?? openGatekeeper;
  // By default a report is required where some adapter scans the repository (its namespace's
  // choice, the default or every registered one, as registered now): where none does, nothing
  // could ever scan the image, and requiring a report would deny it for good.
  const configured = admission.requireVulnerabilityReport;
  if (configured && !deps.vulnerabilities) throw new Error('admission.requireVulnerabilityReport needs the vulnerability store');
  const requireVulnerabilityReport =
    configured !== undefined ? () => configured : (repository: string) => (deps.vulnerabilityScannersFor?.(repository).length ?? 0) > 0;
  const remote = deps.remote ? { remote: deps.remote } : {};
  const check = new ImageCheck({
    registryHosts: admission.registryHosts,
    foreignImages: admission.foreignImages,
    requireVulnerabilityReport,
    manifests: new ManifestService({ blobs: deps.blobs, metadata: deps.metadata, maxManifestBytes: config.registry.maxManifestBytes, gatekeeper, ...remote }),
    gate: gatekeeper,
    metadata: deps.metadata,
    ...(deps.vulnerabilities ? { vulnerabilityGate: new PullVulnerabilityGate(deps.vulnerabilities, deps.metadata), vulnerabilities: deps.vulnerabilities } : {}),
  });
  const token = admission.token ?? (admission.tokenFile === undefined ? undefined : (await readFile(admission.tokenFile, 'utf8')).trim());
  if (token !== undefined && token.length < minTokenLength) throw new Error(`admission.tokenFile: the token must have at least ${minTokenLength} characters`);
  if (token === undefined) logger.warn('admission webhook without a token (admission.token): anyone who reaches it may ask what scangate knows of an image');
  logger.info(
    { registryHosts: admission.registryHosts, foreignImages: admission.foreignImages, requireVulnerabilityReport: configured ?? 'where an adapter scans the repository' },
    'admission webhook on POST /admission/validate',
  );
  return {
    judge: (image) => check.judge(image),
    review: { onUpdate: admission.onUpdate, warnOnTagReferences: admission.warnOnTagReferences },
    token,
    metrics: deps.admissionMetrics,
  };
}
