// RemoteSyncStore: the syncs of remotes asked for through the admin API (POST
// /admin/remotes/NAME/sync), each run as a durable job by whichever process (serve or
// `scangate worker`) claims it, with its state and progress here so that any process can show
// them. At most one sync of a remote is unfinished at a time: asking again meanwhile gets
// that one. Adapter: SQL (src/metadata/sql-remote-sync-store.ts); every adapter runs
// src/metadata/remote-sync-store.suite.ts.

/** queued -> running -> completed | failed; running -> queued when an attempt failed and will be retried. */
export type RemoteSyncState = 'queued' | 'running' | 'completed' | 'failed';

export interface RemoteSyncSelection {
  /** OCI: upstream repositories (default: the remote's plain `repositories`). */
  repositories?: string[];
  /** OCI: tags (default: every tag upstream within the remote's `tags`). */
  tags?: string[];
}

export interface RemoteSyncProgress {
  /** Tags (OCI) or files to sync, known once listed. */
  itemsTotal: number;
  itemsDone: number;
  /** Items finished refused or in error. */
  itemsFailed: number;
  bytesTotal: number;
  bytesDone: number;
  /** What is being fetched now. */
  current: string | null;
}

/** An item that was not synced, and why. */
export interface RemoteSyncProblem {
  item: string;
  outcome: 'refused' | 'error';
  message: string;
}

export interface RemoteSyncRecord {
  id: string;
  remote: string;
  selection: RemoteSyncSelection;
  state: RemoteSyncState;
  /** The admin API's actor who asked (`admin`, `user:NAME`, ...). */
  requestedBy: string;
  createdAt: Date;
  /** When its first attempt began. */
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /** Attempts begun (a process that stopped mid-way counts one). */
  attempts: number;
  progress: RemoteSyncProgress;
  /** Items by outcome (synced, current, refused, removed, error), once completed. */
  outcomes: Record<string, number>;
  /** The items not synced, once completed (the first 100). */
  problems: RemoteSyncProblem[];
  /** Why the sync failed, or why its last attempt did (while it is retried). */
  error: string | null;
  /** The job that runs it. */
  jobId: string | null;
}

export interface NewRemoteSync {
  id: string;
  remote: string;
  selection: RemoteSyncSelection;
  requestedBy: string;
}

export interface FinishedSync {
  state: 'completed' | 'failed';
  progress?: RemoteSyncProgress;
  outcomes?: Record<string, number>;
  problems?: RemoteSyncProblem[];
  error?: string | null;
}

export interface RemoteSyncStore {
  /** A new queued sync, unless one of the remote is unfinished: then that one, and `created: false`. */
  createSync(sync: NewRemoteSync): Promise<{ sync: RemoteSyncRecord; created: boolean }>;
  getSync(id: string): Promise<RemoteSyncRecord | undefined>;
  /** The remote's unfinished sync, if any. */
  activeSync(remote: string): Promise<RemoteSyncRecord | undefined>;
  /** The remote's syncs, newest first. */
  listSyncs(remote: string, limit: number): Promise<RemoteSyncRecord[]>;
  setJob(id: string, jobId: string): Promise<void>;
  /** An attempt begins: running, attempts + 1, progress from zero. False when the sync is finished. */
  markRunning(id: string): Promise<boolean>;
  /** While running; ignored once finished. */
  recordProgress(id: string, progress: RemoteSyncProgress): Promise<void>;
  /** An attempt failed and will be retried: queued again, with its error. Ignored once finished. */
  markRetrying(id: string, error: string): Promise<void>;
  /** Finishes the sync (the remote may then be synced again). False when it was finished already. */
  finishSync(id: string, finished: FinishedSync): Promise<boolean>;
  /** Deletes the syncs that finished before `before` (unfinished ones stay); how many went. */
  pruneSyncs(before: Date): Promise<number>;
}
