// When each tag (OCI on_demand) or file (a file remote without a manifest) was last found
// current upstream, and how to ask again (a file's ETag / Last-Modified): read here first, in
// memory, and kept in the database (UpstreamCheckStore) so that after a restart a tag or file
// checked within its TTL is not checked again at once. A check counts only for the remote's
// definition it was made under (its fingerprint): a changed remote is checked again. The
// database is a help, not a dependency: when it fails, the check lives in memory only (logged).
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AnyRemoteConfig } from '../config/remote-schema.js';
import type { UpstreamCheckKind, UpstreamCheckStore } from '../ports/upstream-check-store.js';
import type { Validators } from './files/file-upstream.js';

export interface LastCheck {
  /** When (epoch ms). */
  at: number;
  validators: Validators;
}

interface Held extends LastCheck {
  fingerprint: string;
}

export interface UpstreamChecksDeps {
  kind: UpstreamCheckKind;
  /** Absent: in memory only. */
  store?: UpstreamCheckStore;
  logger: Logger;
  now?: () => number;
}

export class UpstreamChecks {
  private readonly held = new Map<string, Held>();

  constructor(private readonly deps: UpstreamChecksDeps) {}

  /** The last check of `subject` under the remote as it is now; undefined when none counts. */
  async last(remote: AnyRemoteConfig, subject: string): Promise<LastCheck | undefined> {
    const fingerprint = remoteFingerprint(remote);
    const key = keyOf(remote.name, subject);
    let held = this.held.get(key);
    if (held === undefined && this.deps.store) {
      const stored = await this.deps.store.getCheck(remote.name, this.deps.kind, subject).catch((err: unknown) => this.warn(err, remote.name, 'read'));
      if (stored) {
        held = { at: stored.checkedAt.getTime(), fingerprint: stored.fingerprint, validators: validatorsOf(stored.etag, stored.lastModified) };
        this.held.set(key, held);
      }
    }
    return held?.fingerprint === fingerprint ? { at: held.at, validators: held.validators } : undefined;
  }

  /** Whether `subject` was checked within `ttlSeconds`. */
  async fresh(remote: AnyRemoteConfig, subject: string, ttlSeconds: number): Promise<boolean> {
    const last = await this.last(remote, subject);
    return last !== undefined && this.now() - last.at < ttlSeconds * 1000;
  }

  /** `subject` was found current now. */
  async record(remote: AnyRemoteConfig, subject: string, validators: Validators = {}): Promise<void> {
    const held: Held = { at: this.now(), fingerprint: remoteFingerprint(remote), validators };
    this.held.set(keyOf(remote.name, subject), held);
    await this.deps.store
      ?.recordCheck({
        remote: remote.name,
        kind: this.deps.kind,
        subject,
        fingerprint: held.fingerprint,
        checkedAt: new Date(held.at),
        etag: validators.etag ?? null,
        lastModified: validators.lastModified ?? null,
      })
      .catch((err: unknown) => this.warn(err, remote.name, 'record'));
  }

  /** `subject` is gone upstream: nothing to ask about any more. */
  async forget(remote: string, subject: string): Promise<void> {
    this.held.delete(keyOf(remote, subject));
    await this.deps.store?.forgetCheck(remote, this.deps.kind, subject).catch((err: unknown) => this.warn(err, remote, 'forget'));
  }

  /** The remote changed or went: what is held in memory goes (the database's checks no longer match its fingerprint). */
  forgetRemote(name: string): void {
    for (const key of this.held.keys()) if (key.startsWith(`${name}\0`)) this.held.delete(key);
  }

  private warn(err: unknown, remote: string, what: string): undefined {
    this.deps.logger.warn({ err, remote }, `could not ${what} when a ${this.deps.kind} was last checked upstream (in the database); keeping it in memory`);
    return undefined;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** What a remote's definition is, in a few bytes: a check made under another one does not count. */
export function remoteFingerprint(remote: AnyRemoteConfig): string {
  return createHash('sha256').update(JSON.stringify(remote)).digest('hex').slice(0, 32);
}

function keyOf(remote: string, subject: string): string {
  return `${remote}\0${subject}`;
}

function validatorsOf(etag: string | null, lastModified: string | null): Validators {
  return { ...(etag !== null ? { etag } : {}), ...(lastModified !== null ? { lastModified } : {}) };
}
