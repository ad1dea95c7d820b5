// A real app with the scan gate on and file remotes, for their module tests: SQLite and the
// filesystem store in a temp dir (as compose() builds them), a TestScanner scanning as the
// bytes arrive and in its workers, driven with app.inject(); upstreams are static HTTP servers
// started by the tests.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FileRemoteConfig } from '../../../config/remote-schema.js';
import type { ConfigInput } from '../../../config/schema.js';
import { remoteAppConfig } from '../../testing/remote-app.js';
import { buildApp } from '../../../http/app.js';
import type { Services } from '../../../compose.js';
import type { ScanGate } from '../../../quarantine/runtime.js';
import { gatedServices } from '../../../quarantine/testing/gated-services.js';
import type { TestScanner } from '../../../quarantine/testing/test-scanner.js';
import { holdScans } from '../../../quarantine/testing/hold-scans.js';
import { createRemotes, remotesDepsOf, type Remotes } from '../../create.js';
import type { FileRemotes } from '../create.js';

export interface FileRemoteApp {
  app: FastifyInstance;
  services: Services;
  gate: ScanGate;
  scanner: TestScanner;
  remotes: FileRemotes;
  /** Every remote (the file remotes among them), their catalog and admin API. */
  all: Remotes;
  /** Holds every scan until the returned function is called. */
  holdScans(): () => void;
  close(): Promise<void>;
}

export type FileRemoteInput = Pick<FileRemoteConfig, 'name' | 'url'> & Partial<FileRemoteConfig>;

export interface FileRemoteAppOptions {
  /** The metadata database; default SQLite in the app's temp dir. */
  database?: ConfigInput['database'];
  /** The data dir, kept at close (start another app on it to play a restart); default a temp dir, removed at close. */
  dataDir?: string;
}

export async function startFileRemoteApp(remotes: FileRemoteInput[], manifestWaitSeconds = 5, options: FileRemoteAppOptions = {}): Promise<FileRemoteApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'scangate-file-remote-')));
  const config = remoteAppConfig(dataDir, remotes.map((remote) => ({ kind: 'file' as const, ...remote })), manifestWaitSeconds, options.database);
  const { services, logger, scanner, gate, arrivalScans, close } = await gatedServices(config, dataDir, options.dataDir !== undefined);
  const made = (await createRemotes(remotesDepsOf(config, services, gate, { logger, arrivalScans })))!;
  const app = await buildApp({ ...services, config, logger, gatekeeper: gate.gatekeeper, remote: made.source, fileRemote: made.files.source });
  gate.startWorkers();
  return {
    app,
    services,
    gate,
    scanner,
    remotes: made.files,
    all: made,
    holdScans: () => holdScans(scanner),
    close: () => close(app, made),
  };
}
