// Best-effort download of the official ClamAV signatures for a managed clamd that started
// on the bundled test database: freshclam runs in the background (it never delays start-
// up); when it brings main/daily, clamd is told to RELOAD, its version changes, and the
// rescan scheduler rescans released content with the real signatures. Offline, it fails
// quickly and the log says so.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseClamdAddress } from './address.js';
import { sendCommand } from './connection.js';

const updateTimeoutMs = 15 * 60_000;

export interface SignatureUpdate {
  /** Resolves true when official signatures were downloaded and clamd reloaded them. */
  done: Promise<boolean>;
  stop(): void;
}

async function writeFreshclamConfig(path: string, databaseDir: string, logFile: string): Promise<void> {
  const owner = process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root');
  const lines = [
    `DatabaseDirectory ${databaseDir}`,
    `DatabaseOwner ${owner}`,
    'DatabaseMirror database.clamav.net',
    `UpdateLogFile ${logFile}`,
    'Foreground yes',
    'MaxAttempts 2',
    'ConnectTimeout 15',
    'TestDatabases no',
    'Bytecode true',
  ];
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

export function updateSignaturesInBackground(home: string, databaseDir: string, clamdAddress: string, logger: Logger): SignatureUpdate {
  const controller = new AbortController();
  const done = (async () => {
    const config = join(home, 'freshclam.conf');
    await writeFreshclamConfig(config, databaseDir, join(home, 'freshclam.log'));
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn('freshclam', ['--config-file', config], { stdio: 'ignore', signal: controller.signal, timeout: updateTimeoutMs });
      child.once('error', () => resolve(null));
      child.once('close', (code) => resolve(code));
    });
    if (controller.signal.aborted) return false;
    if (exitCode !== 0) {
      logger.warn({ log: join(home, 'freshclam.log'), exitCode }, 'clamd: could not download the official signatures (offline?); still scanning with the TEST signatures only');
      return false;
    }
    await sendCommand(parseClamdAddress(clamdAddress), 'zRELOAD', AbortSignal.timeout(60_000));
    logger.info({ signatures: databaseDir }, 'clamd: official ClamAV signatures downloaded and loaded; released content will be rescanned');
    return true;
  })().catch((err: unknown) => {
    logger.warn({ err }, 'clamd: signature update failed');
    return false;
  });
  return { done, stop: () => controller.abort() };
}
