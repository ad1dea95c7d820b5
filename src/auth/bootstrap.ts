// First start: with no users at all, create `admin` (role `admin` on every namespace) with
// a generated password, written once to DATA/initial-admin-password (mode 0600) for the
// operator to read and then change. Idempotent: once any user exists it does nothing.
//
// Order: the password goes to a temporary file first, the user is created second, and the
// file takes its final name last. A crash before the user exists leaves a stray temporary
// file and no admin (the next start tries again); a crash after leaves the password in the
// temporary file rather than nowhere. Of processes starting at once, one creates the admin
// and the others find the name taken and remove their files.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { allNamespaces, IdentityConflictError, type IdentityStore } from '../ports/identity-store.js';
import { generatePassword, hashPassword } from './passwords.js';

export const initialAdminName = 'admin';
export const initialAdminRole = 'admin';
export const initialAdminPasswordFile = 'initial-admin-password';

export type BootstrapResult = { created: true; name: string; passwordFile: string } | { created: false };

export async function bootstrapInitialAdmin(store: Pick<IdentityStore, 'countUsers' | 'createUser'>, dataDir: string): Promise<BootstrapResult> {
  if ((await store.countUsers()) > 0) return { created: false };
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  await mkdir(dataDir, { recursive: true });
  const passwordFile = join(dataDir, initialAdminPasswordFile);
  const staged = `${passwordFile}.${randomBytes(6).toString('hex')}.tmp`;
  await writePrivateFile(staged, `${password}\n`);
  try {
    await store.createUser({ name: initialAdminName, passwordHash }, [{ namespace: allNamespaces, role: initialAdminRole }]);
  } catch (error) {
    await rm(staged, { force: true });
    if (error instanceof IdentityConflictError) return { created: false };
    throw error;
  }
  await rename(staged, passwordFile);
  return { created: true, name: initialAdminName, passwordFile };
}

/** Created with mode 0600 (never readable by others, whatever the umask), flushed to disk. */
async function writePrivateFile(file: string, content: string): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
