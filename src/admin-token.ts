// The admin API's break-glass credential: a bearer token generated once into
// DATA/admin-token (mode 0600, never logged) and read back on later starts. It opens /admin
// whether or not auth is on and whatever the policy says, for when no admin can log in;
// day to day, admins use their own credentials (src/http/admin/guard.ts).
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
