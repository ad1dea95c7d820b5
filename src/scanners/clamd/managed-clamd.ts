// The embedded default: a clamd that scangate starts itself, with its config under
// DATA/clamd. It uses the official signatures when the machine has them (Debian's
// /var/lib/clamav, kept current by clamav-freshclam, or DATA/clamd/db); otherwise it starts
// on a small bundled test database (EICAR and Debian's clam.exe), tries to download the
// official ones in the background, and says which in the log.
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeClamdConfig } from './clamd-config.js';
import { startClamdProcess, type ClamdProcess } from './clamd-process.js';
import { updateSignaturesInBackground } from './signature-updates.js';
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
  if (await hasOfficialSignatures(systemSignatureDir)) {
    logger.info({ signatures: systemSignatureDir }, 'clamd: scanning with the official ClamAV signatures');
    return { dir: systemSignatureDir, signatures: 'official' };
  }
  // Our own directory holds the test signatures, and the official ones once freshclam
  // brings them (signature-updates.ts): clamd then reloads both from the same place.
  const own = join(dataDir, 'clamd', 'db');
  await mkdir(own, { recursive: true });
  await writeTestSignatures(own, { clamExe: existsSync(join(clamTestFilesDir, 'clam.exe')) });
  if (await hasOfficialSignatures(own)) {
    logger.info({ signatures: own }, 'clamd: scanning with the official ClamAV signatures');
    return { dir: own, signatures: 'official' };
  }
  logger.warn(
    { signatures: own },
    'clamd: NO official ClamAV signatures yet; scanning with the bundled TEST signatures only (EICAR, clam.exe) while freshclam tries to download them',
  );
  return { dir: own, signatures: 'test' };
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
  const update = database.signatures === 'test' ? updateSignaturesInBackground(home, database.dir, address, logger) : undefined;
  return {
    address,
    signatures: database.signatures,
    stop: async () => {
      update?.stop();
      await process.stop();
    },
  };
}
