// A tiny signature database for machines where the official ClamAV signatures cannot be
// downloaded (tests, air-gapped first runs). clamd refuses to start on an empty database
// directory but accepts these custom files; detections come back as `<name>.UNOFFICIAL`.
//
// The EICAR test string is assembled from parts at run time so that no file in this
// repository is itself flagged by a scanner looking at the source tree.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const eicarParts = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-', 'ANTIVIRUS-TEST-FILE!$H+H*'];

/** The 68-byte EICAR anti-malware test file. */
export function eicarBytes(): Buffer {
  return Buffer.from(eicarParts.join(''), 'latin1');
}

export const testSignatureNames = {
  eicarHash: 'Scangate.Test.EICAR-HDB',
  eicarBody: 'Scangate.Test.EICAR-NDB',
  clamExe: 'Scangate.Test.ClamExe-HDB',
} as const;

/** Debian's clamav-testfiles: every file in it hides `clam.exe` in some wrapper or packer. */
export const clamTestFilesDir = '/usr/share/clamav-testfiles';

export interface TestSignatureOptions {
  /** Also add a hash of Debian's `clam.exe` (needs the clamav-testfiles package). */
  clamExe?: boolean;
}

/** Writes `scangate-test.hdb` and `scangate-test.ndb` into `dir`; returns the file paths. */
export async function writeTestSignatures(dir: string, options: TestSignatureOptions = {}): Promise<string[]> {
  const eicar = eicarBytes();
  const hashLines = [hashSignature(eicar, testSignatureNames.eicarHash)];
  if (options.clamExe) {
    const clamExe = await readFile(join(clamTestFilesDir, 'clam.exe'));
    hashLines.push(hashSignature(clamExe, testSignatureNames.clamExe));
  }
  // The body signature finds EICAR anywhere in a stream (inside archives clamd unpacks
  // too), where the hash signature needs a file that is exactly EICAR.
  const bodyLine = `${testSignatureNames.eicarBody}:0:*:${eicar.toString('hex')}`;
  const hdb = join(dir, 'scangate-test.hdb');
  const ndb = join(dir, 'scangate-test.ndb');
  await writeFile(hdb, hashLines.join('\n') + '\n');
  await writeFile(ndb, bodyLine + '\n');
  return [hdb, ndb];
}

/** A ClamAV `.hdb` line (`md5:size:name`), as `sigtool --md5` prints it. */
function hashSignature(bytes: Buffer, name: string): string {
  return `${createHash('md5').update(bytes).digest('hex')}:${bytes.length}:${name}`;
}
