// The embedded default: a clamd that scangate starts itself, with its config under
// DATA/clamd. It uses the official signatures when the machine has them (Debian's
// /var/lib/clamav, kept current by clamav-freshclam, or DATA/clamd/db) and otherwise a
// small bundled test database (EICAR and Debian's clam.exe), and says which in the log.
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeClamdConfig } from './clamd-config.js';
import { startClamdProcess, type ClamdProcess } from './clamd-process.js';
import { clamTestFilesDir, writeTestSignatures } from './test-signatures.js';

export const systemSignatureDir = '/var/lib/clamav';
/** sockaddr_un holds 108 bytes; a longer socket path cannot be bound. */
const maxSocketPath = 100;

export interface ManagedClamd {
  address: string;
  signatures: 'official' | 'test';
  stop(): Promise<void>;
}

async function hasOfficialSignatures(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((name) => /^(main|daily)\.(cvd|cld)$/.test(name));
}

async function chooseDatabase(dataDir: string, logger: Logger): Promise<{ dir: string; signatures: ManagedClamd['signatures'] }> {
  const own = join(dataDir, 'clamd', 'db');
  for (const dir of [own, systemSignatureDir]) {
    if (await hasOfficialSignatures(dir)) {
      logger.info({ signatures: dir }, 'clamd: scanning with the official ClamAV signatures');
      return { dir, signatures: 'official' };
    }
  }
  const testDir = join(dataDir, 'clamd', 'test-db');
  await mkdir(testDir, { recursive: true });
  await writeTestSignatures(testDir, { clamExe: existsSync(join(clamTestFilesDir, 'clam.exe')) });
  logger.warn(
    { signatures: testDir },
    'clamd: NO official ClamAV signatures on this machine; scanning with the bundled TEST signatures only (EICAR, clam.exe). ' +
      `Run freshclam (Debian: apt-get install clamav-freshclam) to fill ${systemSignatureDir}, then restart.`,
  );
  return { dir: testDir, signatures: 'test' };
}

export async function startManagedClamd(dataDir: string, logger: Logger): Promise<ManagedClamd> {
  const home = join(dataDir, 'clamd');
  await mkdir(home, { recursive: true });
  const database = await chooseDatabase(dataDir, logger);
  const socket = join(home, 'clamd.sock');
  if (socket.length > maxSocketPath) throw new Error(`clamd socket path too long (${socket.length} bytes): use a shorter --data`);
  const configPath = join(home, 'clamd.conf');
  await writeClamdConfig(configPath, {
    databaseDirectory: database.dir,
    localSocket: socket,
    logFile: join(home, 'clamd.log'),
    pidFile: join(home, 'clamd.pid'),
    // clamd spools each stream (up to StreamMaxLength) to disk: keep that under DATA, not /tmp.
    temporaryDirectory: home,
  });
  const address = `unix://${socket}`;
  let process: ClamdProcess;
  try {
    process = await startClamdProcess({ configPath, address, readyTimeoutMs: 300_000 });
  } catch (err) {
    throw new Error(`could not start clamd (Debian: apt-get install clamav-daemon; log in ${join(home, 'clamd.log')}): ${(err as Error).message}`, {
      cause: err,
    });
  }
  logger.info({ address, pid: process.pid, startMs: Math.round(process.startMs), signatures: database.signatures }, 'clamd started');
  return { address, signatures: database.signatures, stop: () => process.stop() };
}
