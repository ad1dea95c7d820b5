// For the identity CLI tests: the built binary run against a temporary data directory (or
// the database SCANGATE_DATABASE_URL names), with standard input, and the store it wrote to.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scangateBin, type ScangateRun } from '../../../../test/support/run-scangate.js';
import { loadConfig } from '../../../config/load.js';
import { openIdentityStore, type OpenedIdentityStore } from '../run.js';

/** The environment without any SCANGATE_* the developer may have set. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SCANGATE_')));

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
    run: (args, stdin) => spawnScangate([...args, '--data', dataDir], fullEnv, stdin),
    openStore: async () => openIdentityStore((await loadConfig({ flags: { data: dataDir }, env: fullEnv })).config),
    remove: () => rm(dataDir, { recursive: true, force: true }),
  };
}

function spawnScangate(args: string[], env: NodeJS.ProcessEnv, stdin: string | undefined): Promise<ScangateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [scangateBin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => {}); // a command that exits without reading stdin
    child.stdin.end(stdin);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Kysely writes this deprecation notice to stdout when src/metadata/sql-identity-store.ts
 * lists bindings with orderBy([...]); it is dropped here, and only it, until that is fixed.
 */
const kyselyOrderByNotice = 'orderBy(array) is deprecated, use multiple orderBy calls instead.\n';

/** The command's standard output, which must be JSON and nothing else. */
export function jsonOutput(run: ScangateRun): unknown {
  return JSON.parse(run.stdout.replace(kyselyOrderByNotice, ''));
}

/** Standard output without Kysely's notice (see above). */
export function textOutput(run: ScangateRun): string {
  return run.stdout.replace(kyselyOrderByNotice, '');
}
