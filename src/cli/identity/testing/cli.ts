// For the identity CLI tests: the built binary run against a temporary data directory (or
// the database SCANGATE_DATABASE_URL names), with standard input, and the store it wrote to.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, runScangate, type ScangateRun } from '../../../../test/support/run-scangate.js';
import { loadConfig } from '../../../config/load.js';
import { openIdentityStore, type OpenedIdentityStore } from '../run.js';

export interface IdentityCli {
  dataDir: string;
  /** `scangate ARGS --data DIR`, with `stdin` written to its standard input (else closed). */
  run(args: string[], stdin?: string): Promise<ScangateRun>;
  /** The store the CLI writes to, opened in this process; close it before the next run on SQLite. */
  openStore(): Promise<OpenedIdentityStore>;
  remove(): Promise<void>;
}

export async function identityCli(env: NodeJS.ProcessEnv = {}): Promise<IdentityCli> {
  const dataDir = await mkdtemp(join(tmpdir(), 'scangate-identity-cli-'));
  const fullEnv = { ...cleanEnv, ...env };
  return {
    dataDir,
    run: (args, stdin) => runScangate([...args, '--data', dataDir], fullEnv, stdin),
    openStore: async () => openIdentityStore((await loadConfig({ flags: { data: dataDir }, env: fullEnv })).config),
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** The command's standard output, which must be JSON and nothing else. */
export function jsonOutput(run: ScangateRun): unknown {
  return JSON.parse(run.stdout);
}

export function textOutput(run: ScangateRun): string {
  return run.stdout;
}
