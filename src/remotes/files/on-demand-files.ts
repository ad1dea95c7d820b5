// Files of an on_demand file remote: fetched when a client first asks, kept as an entry of the
// remote's repository (`/files/NAME/-/<path>`), admitted to the gate and waited for. One fetch
// per path however many ask, detached from their requests.
//
// With a manifest the entry is current while it has the manifest's digest; a new digest there
// fetches the new bytes. Without one, an entry is trusted for the remote's `ttlSeconds`, then
// re-validated upstream (If-None-Match with its ETag, or If-Modified-Since): a 304 keeps it, new
// bytes replace it, and with the upstream down it keeps being served. A path the upstream no
// longer has loses its entry. When each was last re-validated, and its validators, are kept
// across restarts (UpstreamChecks).
import { isRegistryError } from '../../domain/errors.js';
import type { FileRecord } from '../../ports/file-store.js';
import type { UpstreamCheckStore } from '../../ports/upstream-check-store.js';
import { SingleFlight } from '../single-flight.js';
import { UpstreamChecks } from '../upstream-checks.js';
import { refuseIfRefused, type Arrival } from './file-fetcher.js';
import type { FileRemote } from './file-remote-map.js';
import type { Validators } from './file-upstream.js';
import { isUpstreamDown } from './manifest-cache.js';
import type { ManifestEntry } from './pulp-manifest.js';
import type { FileRemoteParts } from './parts.js';

export interface OnDemandFilesDeps extends FileRemoteParts {
  /** When files were last re-validated, across restarts; absent: in memory only. */
  checks?: UpstreamCheckStore;
  now?: () => number;
}

export class OnDemandFiles {
  private readonly flights = new SingleFlight<FileRecord>();
  /** When each path fetched without a manifest was last found current, and how to ask again. */
  private readonly checked: UpstreamChecks;

  constructor(private readonly deps: OnDemandFilesDeps) {
    this.checked = new UpstreamChecks({ kind: 'file', logger: deps.logger, ...(deps.checks ? { store: deps.checks } : {}), ...(deps.now ? { now: deps.now } : {}) });
  }

  /** The remote changed or went: its files are re-validated on their next request. */
  forgetRemote(name: string): void {
    this.checked.forgetRemote(name);
  }

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
    const seen = local ? await this.checked.last(remote.config, path) : undefined;
    if (local && seen && this.now() - seen.at < remote.config.ttlSeconds * 1000) return local;
    const validators = local ? validatorsFor(local, seen?.validators) : undefined;
    let got;
    try {
      got = await this.deps.fetcher.download({ remote, repository, path, ...(validators ? { validators } : {}) });
    } catch (err) {
      if (local && isUpstreamDown(err)) {
        this.deps.logger.warn({ err, remote: repository, path }, 'upstream down: serving the cached file');
        await this.checked.record(remote.config, path, validators ?? {});
        return local;
      }
      if (local && isRegistryError(err) && err.code === 'FILE_UNKNOWN') await this.forget(repository, path);
      throw err;
    }
    if ('notModified' in got) {
      await this.checked.record(remote.config, path, { ...validators, ...got.validators });
      return local!;
    }
    const file = local?.digest === got.info.digest ? local : await this.keep(repository, path, got);
    await this.checked.record(remote.config, path, got.validators);
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
    await this.checked.forget(repository, path);
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

