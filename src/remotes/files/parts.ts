// What the reads and the sync of file remotes share: the verified fetcher, the guard that keeps
// a streamed read's cleanup off bytes being fetched, the admissions to the gate, the entries,
// the gate and the scan states.
import type { Logger } from 'pino';
import type { FileStore } from '../../ports/file-store.js';
import type { QuarantineStore } from '../../ports/quarantine-store.js';
import type { Gatekeeper } from '../../quarantine/gatekeeper.js';
import type { ArrivalAdmissions } from './arrival-admissions.js';
import type { DropGuard } from './drop-guard.js';
import type { FileFetcher } from './file-fetcher.js';

export interface FileRemoteParts {
  fetcher: FileFetcher;
  guard: DropGuard;
  admissions: ArrivalAdmissions;
  files: FileStore;
  gatekeeper: Gatekeeper;
  /** Content already refused is refused again without a download. */
  states: Pick<QuarantineStore, 'getState'>;
  /** Makes committed writes durable (MetadataStore.sync). */
  sync(): Promise<void>;
  logger: Logger;
}
