// On-demand vulnerability scans: queues a `vulnerability-scan` job per scanner of the
// repository (scannersFor: its namespace's choice, else the default, else every one) for
// an artifact (an index: for each image manifest it lists), which the workers of any serve
// process on the database then run. The findings of the last completed scan keep serving the
// gate meanwhile: they are replaced only when the new scan completes.
import type { Digest } from '../domain/digest.js';
import { isDigest } from '../domain/digest.js';
import type { JobQueue } from '../ports/job-queue.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { adapterScanJob } from './adapter-scan-job.js';

export interface RescanDeps {
  metadata: Pick<MetadataStore, 'resolveTag' | 'getManifest' | 'getManifestReferences'>;
  queue: Pick<JobQueue, 'enqueue'>;
  /** The scanners of a repository (AdapterRegistry.scannersFor). */
  scannersFor(repository: string): readonly string[];
  maxAttempts: number;
}

export interface QueuedRescan {
  /** The manifests queued: the artifact, or an index's children. */
  digests: Digest[];
  /** Jobs queued, or already queued (deduplicated). */
  jobs: { id: string; scanner: string; digest: Digest; deduplicated: boolean }[];
}

export class RescanError extends Error {}

export async function queueRescan(deps: RescanDeps, repository: string, reference: string): Promise<QueuedRescan> {
  const scanners = deps.scannersFor(repository);
  if (scanners.length === 0) throw new RescanError('no vulnerability scanner is registered (vulnerabilityScanners, --adapter NAME=URL, or the admin API)');
  const digest = isDigest(reference) ? reference : await deps.metadata.resolveTag(repository, reference);
  const manifest = digest && (await deps.metadata.getManifest(repository, digest));
  if (!manifest) throw new RescanError(`no manifest ${reference} in ${repository}`);
  const children = (await deps.metadata.getManifestReferences(repository, manifest.digest)).filter((ref) => ref.kind === 'manifest').map((ref) => ref.digest);
  const digests = children.length > 0 ? children : [manifest.digest];
  const jobs: QueuedRescan['jobs'] = [];
  for (const d of digests) {
    for (const scanner of scanners) {
      const queued = await deps.queue.enqueue(adapterScanJob({ repository, digest: d, scanner }, deps.maxAttempts));
      jobs.push({ id: queued.id, scanner, digest: d, deduplicated: queued.deduplicated });
    }
  }
  return { digests, jobs };
}
