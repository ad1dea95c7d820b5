// Blobs of an on_demand mirror: a blob not yet here is fetched upstream into a staged
// upload and committed only if it hashes to its digest (a mismatch is cancelled, never
// stored or served). However many clients ask at once, one fetch runs (single flight, per
// digest), detached from any client's request: a client that hangs up aborts nothing, and
// a failed fetch leaves nothing staged. Each asking repository then gets the blob linked
// and admitted to the gate, and waits (up to the configured time) for its verdict.
import type { Logger } from 'pino';
import type { Digest } from '../domain/digest.js';
import { RegistryError } from '../domain/errors.js';
import { DigestMismatchError, type BlobInfo, type BlobStore } from '../ports/blob-store.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { QuarantineStore } from '../ports/quarantine-store.js';
import { refusedError } from '../quarantine/gate-errors.js';
import { storedCopy, type ArrivalScans } from '../quarantine/arrival-scans.js';
import type { Gatekeeper } from '../quarantine/gatekeeper.js';
import type { OciUpstream } from './oci-upstream.js';
import type { RemoteRoute } from './remote-map.js';
import { SingleFlight } from './single-flight.js';

export interface BlobFetcherDeps {
  blobs: BlobStore;
  metadata: MetadataStore;
  gatekeeper: Gatekeeper;
  /** Content already refused is refused again without a download. */
  states: Pick<QuarantineStore, 'getState'>;
  upstreamOf(remote: string): OciUpstream;
  logger: Logger;
  /** Scans the download as it arrives; absent: the scan job scans the stored bytes. */
  arrivalScans?: ArrivalScans;
  /** A fetch that takes longer than this is aborted (and its staged bytes cancelled). */
  fetchTimeoutMs?: number;
}

const defaultFetchTimeoutMs = 30 * 60_000;

export class RemoteBlobFetcher {
  private readonly flights = new SingleFlight<BlobInfo>();
  /** Upstream blob downloads started (each one fetch; for tests and metrics). */
  downloads = 0;

  constructor(private readonly deps: BlobFetcherDeps) {}

  /**
   * Fetches (or joins the fetch of) the blob, links it into the repository and waits for its
   * verdict. With `waitMs` (a client's request), a download still running after that long
   * answers 503 with Retry-After and goes on without the client, linking and admitting the
   * blob when it is done; a long fetch-and-scan never looks like a hang. Without it (sync),
   * the caller waits for the download.
   */
  async fetch(repository: string, route: RemoteRoute, digest: Digest, waitMs?: number): Promise<void> {
    const known = await this.deps.states.getState(digest);
    if (known && (known.state === 'infected' || known.state === 'failed')) throw refusedError(known, 'blob');
    const ready = this.flights.run(digest, () => this.download(route, digest, repository)).then(async (info) => {
      await this.deps.metadata.linkBlob(repository, info);
      await this.deps.gatekeeper.admit(repository, digest, 'blob', { scannedOnArrival: this.deps.arrivalScans !== undefined });
      await this.deps.metadata.sync();
    });
    if (waitMs === undefined) await ready;
    else await this.withinOrLater(ready, waitMs, route, digest);
    // Throws DENIED naming the signature when infected; returns when clean or time is up
    // (the gate then answers 503 with Retry-After: the scan goes on without the client).
    await this.deps.gatekeeper.holdUntilDecided([{ digest, what: 'blob' }]);
  }

  private async withinOrLater(ready: Promise<void>, waitMs: number, route: RemoteRoute, digest: Digest): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), waitMs)));
    try {
      if ((await Promise.race([ready, late])) !== 'late') return;
    } finally {
      clearTimeout(timer);
    }
    ready.catch((err: unknown) => this.deps.logger.warn({ err, digest, remote: route.remote.name }, 'a download the client stopped waiting for failed'));
    throw new RegistryError('UNAVAILABLE', `${digest} is being fetched from remote ${route.remote.name} and scanned as it arrives; ask again shortly`, {
      status: 503,
      headers: { 'retry-after': '5' },
      detail: { digest, remote: route.remote.name, state: 'fetching' },
    });
  }

  /** The blob in the store: already there (another repository has it), or downloaded now. */
  private async download(route: RemoteRoute, digest: Digest, repository: string): Promise<BlobInfo> {
    const present = await this.deps.blobs.stat(digest);
    if (present) return present;
    this.downloads++;
    const started = performance.now();
    const upload = await this.deps.blobs.createUpload();
    const signal = AbortSignal.timeout(this.deps.fetchTimeoutMs ?? defaultFetchTimeoutMs);
    try {
      const { body } = await this.deps.upstreamOf(route.remote.name).getBlob(route.upstreamRepository, digest, signal);
      // Scanned while it arrives (when a gate is on), or right after when every scan slot is
      // taken: the verdicts wait in the cache, and admission decides from them, so the first
      // pull waits about the longer of fetch and scan, not the sum.
      const arrival = await this.deps.arrivalScans?.begin(repository, digest, body, signal);
      let info: BlobInfo;
      try {
        await upload.append(arrival?.toStore ?? body, { signal });
        info = await upload.commit(digest);
      } catch (err) {
        body.destroy(); // stops the scans' branches too
        await arrival?.settle(false);
        throw err;
      }
      // The verdicts only save the scan job its work: failing to keep them fails nothing. A
      // download that found every scan slot taken is scanned now, from the stored bytes.
      await arrival?.settle(true, undefined, storedCopy(this.deps.blobs, digest)).catch((err: unknown) => this.deps.logger.warn({ digest, err }, 'could not record the verdicts of the scan while arriving'));
      this.deps.logger.info({ digest, remote: route.remote.name, size: info.size, seconds: (performance.now() - started) / 1000 }, 'fetched blob from upstream');
      return info;
    } catch (err) {
      await upload.cancel().catch(() => {}); // nothing half-written stays
      throw this.fetchError(route, digest, err);
    }
  }

  private fetchError(route: RemoteRoute, digest: Digest, err: unknown): unknown {
    if (err instanceof DigestMismatchError) {
      return new RegistryError(
        'UNAVAILABLE',
        `remote ${route.remote.name} sent bytes for ${digest} that hash to ${err.actual}; nothing was stored or served`,
        { status: 502, detail: { remote: route.remote.name, expected: err.expected, actual: err.actual } },
      );
    }
    if (err instanceof RegistryError) return err;
    return new RegistryError('UNAVAILABLE', `the download of ${digest} from remote ${route.remote.name} broke off (${(err as Error).message}); retry`, {
      status: 502,
      headers: { 'retry-after': '5' },
      detail: { remote: route.remote.name },
      cause: err,
    });
  }
}
