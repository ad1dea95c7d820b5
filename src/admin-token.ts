// The admin API's bearer token until identity lands: generated once into DATA/admin-token
// (mode 0600, never logged) and read back on later starts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

export async function readOrCreateAdminToken(dataDir: string, logger: Logger): Promise<string> {
  const file = join(dataDir, 'admin-token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length >= 32) return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'w' });
  logger.info({ file }, 'admin API token written (send it as `Authorization: Bearer <token>` to /admin)');
  return token;
}
