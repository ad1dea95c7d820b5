// A real app with the scan gate on and file remotes, for their module tests: SQLite and the
// filesystem store in a temp dir (as compose() builds them), a TestScanner scanning as the
// bytes arrive and in its workers, driven with app.inject(); upstreams are static HTTP servers
// started by the tests.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { fileRemoteSchema, type FileRemoteConfig } from '../../../config/remote-schema.js';
import { configSchema } from '../../../config/schema.js';
import { buildApp } from '../../../http/app.js';
import type { Services } from '../../../compose.js';
import type { ScanGate } from '../../../quarantine/runtime.js';
import { gatedServices } from '../../../quarantine/testing/gated-services.js';
import type { TestScanner } from '../../../quarantine/testing/test-scanner.js';
import { holdScans } from '../../../quarantine/testing/hold-scans.js';
import { createFileRemotes, type FileRemotes } from '../create.js';

export interface FileRemoteApp {
  app: FastifyInstance;
  services: Services;
  gate: ScanGate;
  scanner: TestScanner;
  remotes: FileRemotes;
  /** Holds every scan until the returned function is called. */
  holdScans(): () => void;
  close(): Promise<void>;
}

export type FileRemoteInput = Pick<FileRemoteConfig, 'name' | 'url'> & Partial<FileRemoteConfig>;

export async function startFileRemoteApp(remotes: FileRemoteInput[], manifestWaitSeconds = 5): Promise<FileRemoteApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-file-remote-'));
  const config = configSchema.parse({
    data: dataDir,
    storage: { driver: 'filesystem', fsync: false },
    scanning: {
      manifestWaitSeconds,
      retry: { maxAttempts: 2, baseSeconds: 0.05, capSeconds: 0.1 },
      scanners: [{ name: 'test', kind: 'command', command: ['true', '{path}'] }],
    },
  });
  const { services, logger, scanner, gate, arrivalScans, close } = await gatedServices(config, dataDir);
  const configs = remotes.map((remote) => fileRemoteSchema.parse({ kind: 'file', ...remote }));
  const made = (await createFileRemotes({ remotes: configs, services, gatekeeper: gate.gatekeeper, logger, arrivalScans }))!;
  const app = await buildApp({ ...services, config, logger, gatekeeper: gate.gatekeeper, fileRemote: made.source });
  gate.startWorkers();
  return {
    app,
    services,
    gate,
    scanner,
    remotes: made,
    holdScans: () => holdScans(scanner),
    close: () => close(app, made),
  };
}
