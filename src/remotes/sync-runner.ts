// One sync of one remote, whatever its kind: what `scangate sync` and the sync jobs of the admin
// API (sync-jobs.ts) both run. An OCI remote syncs the selected tags (RemoteSync), a file
// remote every file of its manifest (FileRemoteSync); the results come back as items of one
// shape. checkSyncRequest says what is wrong with a request before anything runs, so the API
// can answer 400 and the CLI exit 2 with the same words.
import type { AnyRemoteConfig } from '../config/remote-schema.js';
import type { Digest } from '../domain/digest.js';
import type { Remotes } from './create.js';
import { noManifest } from './files/file-sync.js';
import { syncedRepositories, type ProgressCallback, type SyncSelection } from './sync.js';

export type SyncOutcome = 'synced' | 'current' | 'refused' | 'removed' | 'error';

export interface SyncItemResult {
  /** `REMOTE/REPOSITORY:TAG` (OCI) or `REMOTE/-/PATH` (file). */
  item: string;
  /** synced: brought and clean now; current: already here; refused: infected or unscannable; removed: no longer in the manifest. */
  outcome: SyncOutcome;
  digest?: Digest;
  /** Why not synced: the gate's or the upstream's message. */
  message?: string;
}

export interface SyncRun {
  kind: AnyRemoteConfig['kind'];
  results: SyncItemResult[];
}

/** What is wrong with syncing `remote` with this selection; undefined when nothing is. */
export function syncRequestProblem(remote: AnyRemoteConfig, selection: SyncSelection): string | undefined {
  if (remote.kind === 'file') {
    if (selection.repositories || selection.tags) return `${remote.name} is a file remote: it syncs the files of its manifest, repositories and tags do not apply`;
    return remote.manifest === undefined ? noManifest(remote.name).message : undefined;
  }
  if (syncedRepositories(remote, selection).length === 0) return `name what to sync with --repository (API: "repositories"): remote ${remote.name} lists no plain repository names`;
  return undefined;
}

/**
 * Syncs the remote (already checked with syncRequestProblem). Throws when it cannot run at all
 * (no such remote, the upstream cannot list tags or serve the manifest, `signal` aborted); an
 * item that cannot be synced is a result.
 */
export async function runRemoteSync(remotes: Remotes, name: string, selection: SyncSelection, onProgress: ProgressCallback, signal?: AbortSignal): Promise<SyncRun> {
  const remote = remotes.catalog.entry(name)?.remote;
  if (remote?.kind === 'file') {
    const results = await remotes.files.sync.sync(name, onProgress, signal);
    return { kind: 'file', results: results.map(({ path, ...rest }) => ({ item: `${name}/-/${path}`, ...rest })) };
  }
  const results = await remotes.sync.sync(name, selection, onProgress, signal);
  return { kind: 'oci', results: results.map(({ repository, tag, ...rest }) => ({ item: `${repository}:${tag}`, ...rest })) };
}
