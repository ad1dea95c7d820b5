// Admits fetched files to the gate. A download is scanned while it arrives; its content is
// admitted (pending, scan jobs queued) only once those scans have recorded their verdicts, so
// the scan jobs find them and nothing is scanned twice. The admission runs in the background:
// a scan that outlasts a client's wait must not hold its answer (the client gets 503 with
// Retry-After meanwhile, as content without a state is pending to the gate).
//
// An entry whose content has no state and no admission under way (the process stopped in
// between) is admitted when next read, so it is never left pending for good.
import type { Logger } from 'pino';
import type { Digest } from '../../domain/digest.js';
import { fileNameOf } from '../../domain/file-paths.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { Gatekeeper } from '../../quarantine/gatekeeper.js';
import type { Arrival } from './file-fetcher.js';

export interface ArrivalAdmissionsDeps {
  gatekeeper: Gatekeeper;
  states: Pick<QuarantineStore, 'getState'>;
  /** Makes committed writes durable (MetadataStore.sync). */
  sync(): Promise<void>;
  logger: Logger;
}

export interface Admissible {
  digest: Digest;
  mediaType: string;
}

export class ArrivalAdmissions {
  private readonly underWay = new Map<Digest, Promise<void>>();

  constructor(private readonly deps: ArrivalAdmissionsDeps) {}

  /** Admits the arrival's content once its scans have recorded their verdicts; resolves when admitted (never rejects: failures are logged). */
  admitAfterScans(repository: string, path: string, arrival: Arrival): Promise<void> {
    const content = { digest: arrival.info.digest, mediaType: arrival.mediaType };
    return this.track(content.digest, arrival.scanned.then(() => this.admit(repository, path, content)));
  }

  /** Admits content that has no state and no admission under way. */
  async ensureAdmitted(repository: string, path: string, content: Admissible): Promise<void> {
    if (this.underWay.has(content.digest) || (await this.deps.states.getState(content.digest))) return;
    await this.track(content.digest, this.admit(repository, path, content));
  }

  private async admit(repository: string, path: string, content: Admissible): Promise<void> {
    await this.deps.gatekeeper.admit(repository, content.digest, 'blob', { filename: fileNameOf(path), mediaType: content.mediaType, scannedOnArrival: true });
    await this.deps.sync();
  }

  private track(digest: Digest, admitting: Promise<void>): Promise<void> {
    const done = admitting
      .catch((err: unknown) => this.deps.logger.error({ err, digest }, 'could not admit a fetched file to the gate; it stays unservable until read again'))
      .finally(() => {
        if (this.underWay.get(digest) === done) this.underWay.delete(digest);
      });
    this.underWay.set(digest, done);
    return done;
  }
}
