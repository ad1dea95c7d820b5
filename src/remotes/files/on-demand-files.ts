// Files of an on_demand file remote: fetched when a client first asks, kept as an entry of the
// remote's repository (`/files/NAME/-/<path>`), admitted to the gate and waited for. One fetch
// per path however many ask, detached from their requests.
//
// With a manifest the entry is current while it has the manifest's digest; a new digest there
// fetches the new bytes. Without one, an entry is trusted for the remote's `ttlSeconds`, then
// re-validated upstream (If-None-Match with its ETag, or If-Modified-Since): a 304 keeps it, new
// bytes replace it, and with the upstream down it keeps being served. A path the upstream no
// longer has loses its entry.
import { isRegistryError } from '../../domain/errors.js';
import type { FileRecord } from '../../ports/file-store.js';
import { SingleFlight } from '../single-flight.js';
import { refuseIfRefused, type Arrival } from './file-fetcher.js';
import type { FileRemote } from './file-remote-map.js';
import type { Validators } from './file-upstream.js';
import { isUpstreamDown } from './manifest-cache.js';
import type { ManifestEntry } from './pulp-manifest.js';
import type { FileRemoteParts } from './parts.js';

export interface OnDemandFilesDeps extends FileRemoteParts {
  now?: () => number;
}

export class OnDemandFiles {
  private readonly flights = new SingleFlight<FileRecord>();
  /** When each `remote\0path` fetched without a manifest was last found current, and how to ask again. */
  private readonly checked = new Map<string, { at: number; validators: Validators }>();

  constructor(private readonly deps: OnDemandFilesDeps) {}

  /** The file's entry, fetched when missing or stale; throws DENIED when it is infected (waits up to the configured time). */
  async fetch(remote: FileRemote, path: string, expected: ManifestEntry | undefined): Promise<FileRecord> {
    const file = await this.flights.run(`${remote.config.name}\0${path}`, () => this.deps.guard.fetching(() => this.bring(remote, path, expected)));
    await this.deps.admissions.ensureAdmitted(file.repository, path, file);
    await this.deps.gatekeeper.holdUntilDecided([{ digest: file.digest, what: `file ${path}` }]);
    return file;
  }

  private async bring(remote: FileRemote, path: string, expected: ManifestEntry | undefined): Promise<FileRecord> {
    const repository = remote.config.name;
    const local = await this.deps.files.get(repository, path);
    if (!expected) return this.revalidate(remote, path, local);
    if (local?.digest === expected.digest) return local;
    await refuseIfRefused(this.deps.states, expected.digest, path);
    const arrival = await this.deps.fetcher.download({ remote, repository, path, expected });
    return this.keep(repository, path, arrival as Arrival);
  }

  private async revalidate(remote: FileRemote, path: string, local: FileRecord | undefined): Promise<FileRecord> {
    const repository = remote.config.name;
    const key = `${repository}\0${path}`;
    const seen = this.checked.get(key);
    if (local && seen && this.now() - seen.at < remote.config.ttlSeconds * 1000) return local;
    const validators = local ? validatorsFor(local, seen?.validators) : undefined;
    let got;
    try {
      got = await this.deps.fetcher.download({ remote, repository, path, ...(validators ? { validators } : {}) });
    } catch (err) {
      if (local && isUpstreamDown(err)) {
        this.deps.logger.warn({ err, remote: repository, path }, 'upstream down: serving the cached file');
        this.checked.set(key, { at: this.now(), validators: validators ?? {} });
        return local;
      }
      if (local && isRegistryError(err) && err.code === 'FILE_UNKNOWN') await this.forget(repository, path);
      throw err;
    }
    if ('notModified' in got) {
      this.checked.set(key, { at: this.now(), validators: { ...validators, ...got.validators } });
      return local!;
    }
    const file = local?.digest === got.info.digest ? local : await this.keep(repository, path, got);
    this.checked.set(key, { at: this.now(), validators: got.validators });
    return file;
  }

  /** Writes the entry (replacing an older one; the repository now holds the content, so its scanners apply), then admits the content. */
  private async keep(repository: string, path: string, arrival: Arrival): Promise<FileRecord> {
    const { digest, size } = arrival.info;
    const file = await this.deps.files.put({ repository, path, digest, size, mediaType: arrival.mediaType });
    await this.deps.sync();
    void this.deps.admissions.admitAfterScans(repository, path, arrival);
    return file;
  }

  private async forget(repository: string, path: string): Promise<void> {
    this.checked.delete(`${repository}\0${path}`);
    await this.deps.files.delete(repository, path);
    await this.deps.sync();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** How to ask whether our copy is current: what the upstream sent with it, else (after a restart, or none sent) the date we stored it. */
function validatorsFor(local: FileRecord, sent: Validators | undefined): Validators {
  if (sent?.etag !== undefined || sent?.lastModified !== undefined) return sent;
  return { lastModified: local.createdAt.toUTCString() };
}

