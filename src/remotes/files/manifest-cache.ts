// The manifests of file remotes, as last read upstream: fetched on first need, trusted for the
// remote's `ttlSeconds`, then asked for again with the validators of the copy held (a 304 keeps
// it). One fetch at a time per remote, however many requests need it. With the upstream down a
// copy already held keeps being used (a warning is logged); without one the upstream's error
// is the answer. Lines of a manifest that are left out are logged once per fetch.
import type { Logger } from 'pino';
import { RegistryError } from '../../domain/errors.js';
import type { Validators } from './file-upstream.js';
import type { FileRemote } from './file-remote-map.js';
import { PulpManifest } from './pulp-manifest.js';
import { SingleFlight } from '../single-flight.js';

export interface ManifestCacheDeps {
  logger: Logger;
  now?: () => number;
  /** A manifest larger than this is refused (502). */
  maxManifestBytes?: number;
}

interface Held {
  manifest: PulpManifest;
  validators: Validators;
  checkedAt: number;
}

const defaultMaxManifestBytes = 64 * 1024 * 1024;

export class ManifestCache {
  private readonly held = new Map<string, Held>();
  private readonly flights = new SingleFlight<PulpManifest>();

  constructor(private readonly deps: ManifestCacheDeps) {}

  /** The remote's manifest, current within its TTL. Throws when it cannot be read and none is held. */
  async current(remote: FileRemote): Promise<PulpManifest> {
    const held = this.held.get(remote.config.name);
    if (held && this.now() - held.checkedAt < remote.config.ttlSeconds * 1000) return held.manifest;
    return this.flights.run(remote.config.name, () => this.refresh(remote, held));
  }

  /** The remote changed or went: its manifest is read again on next need. */
  forget(name: string): void {
    this.held.delete(name);
  }

  /** Reads the manifest upstream now (`scangate sync`), keeping it for requests too. */
  async fetch(remote: FileRemote): Promise<PulpManifest> {
    return this.flights.run(remote.config.name, () => this.refresh(remote, undefined, true));
  }

  private async refresh(remote: FileRemote, held: Held | undefined, strict = false): Promise<PulpManifest> {
    const { name, manifest: path } = remote.config;
    try {
      const got = await remote.upstream.getIfChanged(path!, held?.validators ?? {});
      if ('notModified' in got) {
        this.held.set(name, { ...held!, validators: got.validators, checkedAt: this.now() });
        return held!.manifest;
      }
      const manifest = PulpManifest.parse(await this.readText(remote, got.body));
      if (manifest.problems.length > 0) {
        this.deps.logger.warn({ remote: name, problems: manifest.problems.slice(0, 20), count: manifest.problems.length }, `lines of the manifest of remote ${name} were left out: their files are unknown`);
      }
      this.held.set(name, { manifest, validators: got.validators, checkedAt: this.now() });
      return manifest;
    } catch (err) {
      if (!held || strict || !isUpstreamDown(err)) throw manifestError(remote, err);
      // Tried again after the TTL, not on every request while the upstream is down.
      this.held.set(name, { ...held, checkedAt: this.now() });
      this.deps.logger.warn({ err, remote: name }, 'upstream down: using the manifest already held');
      return held.manifest;
    }
  }

  private async readText(remote: FileRemote, body: AsyncIterable<Uint8Array> & { destroy(): void }): Promise<string> {
    const max = this.deps.maxManifestBytes ?? defaultMaxManifestBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > max) {
        body.destroy();
        throw new RegistryError('UNAVAILABLE', `remote ${remote.config.name}: its manifest ${remote.config.manifest} is larger than ${max} bytes; it was not read`, {
          status: 502,
          detail: { remote: remote.config.name },
        });
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** A manifest the upstream does not have is the remote's fault, not the asked-for file's: 502. */
function manifestError(remote: FileRemote, err: unknown): unknown {
  if (!(err instanceof RegistryError) || err.code !== 'FILE_UNKNOWN') return err;
  return new RegistryError('UNAVAILABLE', `remote ${remote.config.name} has no manifest at ${remote.upstream.urlOf(remote.config.manifest!)}; check remotes[].manifest`, {
    status: 502,
    detail: { remote: remote.config.name },
  });
}

/** The errors after which what is cached is still worth serving: the upstream cannot answer now. */
export function isUpstreamDown(err: unknown): boolean {
  return err instanceof RegistryError && (err.code === 'UNAVAILABLE' || err.code === 'TOOMANYREQUESTS');
}
