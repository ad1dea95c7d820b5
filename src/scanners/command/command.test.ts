// CommandScanner running real programs: a small grep-based scanner script, and clamscan
// with the test signature database. Then the cases only a command has: hostile fields,
// exit codes, signals, timeouts that must kill the whole process group, output caps.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, type TempDir } from '../../../test/support/temp-dir.js';
import { isScannerError, type ScannerError } from '../../ports/scanner.js';
import { writeTestSignatures } from '../clamd/test-signatures.js';
import { bytesSubject, scannerSuite } from '../scanner.suite.js';
import { CommandScanner } from './command-scanner.js';

const eicarGrep = fileURLToPath(new URL('../../../test/fixtures/clamav/eicar-grep.sh', import.meta.url));
/** Prints its arguments, one a line, and says "infected" so that the output is kept. */
const printArgs = ['/bin/sh', '-c', 'printf "%s\\n" "$@"; exit 1', 'print-args'];

let dir: TempDir;
let scanTmp: string;
let dbDir: string;

beforeAll(async () => {
  dir = await makeTempDir('scangate-command');
  // A private TMPDIR: the scanner's temp copies land here, so leftovers are easy to see.
  scanTmp = dir.join('tmp');
  dbDir = dir.join('db');
  await mkdir(scanTmp);
  await mkdir(dbDir);
  process.env.TMPDIR = scanTmp;
  await writeTestSignatures(dbDir);
});

afterAll(async () => {
  await dir?.remove();
});

const leftovers = async () => (await readdir(scanTmp)).filter((name) => name.startsWith('scangate-scan-'));
const unreachable = async () => new CommandScanner({ name: 'gone', command: '/nonexistent/scanner {path}' });

scannerSuite('command: eicar-grep.sh', async () => ({
  scanner: new CommandScanner({ name: 'grep', command: [eicarGrep, '{path}'] }),
  unreachable,
  leftovers,
}));

scannerSuite('command: clamscan with the test database', async () => ({
  scanner: new CommandScanner({
    name: 'clamscan',
    command: `clamscan --no-summary --database=${dbDir} -- {path}`,
    versionCommand: 'clamscan --version',
  }),
  unreachable,
  leftovers,
}));

describe('command scanner', () => {
  it('passes hostile fields as plain, sanitised arguments and never runs them', async () => {
    const canary = dir.join('CANARY');
    const scanner = new CommandScanner({ name: 'print', command: [...printArgs, '{filename}', '{mediaType}', '{digest}', '{path}'] });
    const hostile = `$(touch ${canary}); touch ${canary} #\`touch ${canary}\`.tar`;
    const result = await scanner.scan(
      bytesSubject(Buffer.from('x'), {
        filename: hostile,
        mediaType: `application/x; $(touch ${canary})`,
        digest: `sha256:abc; touch ${canary}`,
      }),
    );
    const [filename, mediaType, digest, path] = result.findings[0]!.detail!.split('\n');
    expect(filename).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    expect([mediaType, digest]).toEqual(['', '']);
    expect(path!.endsWith(`/${filename}`)).toBe(true);
    expect(existsSync(canary)).toBe(false);
  });

  it.each([
    [{ filename: 'app.tar.gz' }, /\/app\.tar\.gz$/],
    [{ filename: '--help' }, /\/help\.bin$/],
    [{ filename: '../../etc/passwd', mediaType: 'text/plain' }, /\/passwd\.txt$/],
    [{ digest: 'sha256:' + 'a'.repeat(64), mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }, /\/sha256-a{64}\.tar\.zst$/],
    [{ mediaType: 'application/vnd.oci.image.config.v1+json' }, /\/subject\.json$/],
  ])('names the temp copy after %j and removes it afterwards', async (fields, name) => {
    const scanner = new CommandScanner({ name: 'print', command: [...printArgs, '{path}'] });
    const result = await scanner.scan(bytesSubject(Buffer.from('x'), fields));
    const path = result.findings[0]!.detail!.trim();
    expect(path).toMatch(name);
    expect(existsSync(path)).toBe(false);
  });

  it('treats an exit code other than 0 and 1 as an error, with the output', async () => {
    const scanner = new CommandScanner({ name: 'broken', command: ['/bin/sh', '-c', 'echo database missing >&2; exit 2', 'x', '{path}'] });
    const error = await scanner.scan(bytesSubject(Buffer.from('x'))).catch((err: unknown) => err);
    expect(error).toSatisfy(isScannerError);
    expect((error as Error).message).toMatch(/exit 2.*database missing/s);
  });

  it('treats death by a signal as an error', async () => {
    const scanner = new CommandScanner({ name: 'killed', command: ['/bin/sh', '-c', 'kill -9 $$', 'x', '{path}'] });
    await expect(scanner.scan(bytesSubject(Buffer.from('x')))).rejects.toThrow(/killed by SIGKILL/);
  });

  it('kills the whole process group on timeout', async () => {
    const pidFile = dir.join('child.pid');
    const command = ['/bin/sh', '-c', 'sleep 30 & echo $! > "$0"; wait', pidFile, '{path}'];
    const scanner = new CommandScanner({ name: 'slow', command, timeoutMs: 500 });
    const started = Date.now();
    const error = await scanner.scan(bytesSubject(Buffer.from('x'))).catch((err: unknown) => err);
    // The sleeper holds the output pipe open: only killing the group ends the scan in time.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((error as ScannerError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/timed out/);
    const sleeper = Number((await readFile(pidFile, 'utf8')).trim());
    expect(await exitsSoon(sleeper)).toBe(true);
  });

  it('keeps at most outputCap bytes of output', async () => {
    const command = ['/bin/sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" x; exit 1', 'x', '{path}'];
    const scanner = new CommandScanner({ name: 'loud', command, outputCap: 1000 });
    const detail = (await scanner.scan(bytesSubject(Buffer.from('x')))).findings[0]!.detail!;
    expect(detail.length).toBeLessThan(1100);
    expect(detail).toMatch(/999000 more bytes/);
  });

  it('takes the engine version from the version command, and fails when it fails', async () => {
    const scanner = new CommandScanner({ name: 'grep', command: [eicarGrep, '{path}'], versionCommand: ['/bin/echo', 'rules 2024.1'] });
    expect(await scanner.engine()).toEqual({ engine: 'eicar-grep.sh', database: 'rules 2024.1', key: 'eicar-grep.sh/rules 2024.1' });
    const failing = new CommandScanner({ name: 'grep', command: [eicarGrep, '{path}'], versionCommand: ['/bin/false'] });
    await expect(failing.engine()).rejects.toSatisfy(isScannerError);
    await expect(failing.health()).rejects.toSatisfy(isScannerError);
  });

  it('refuses a template that would need a shell', () => {
    expect(() => new CommandScanner({ name: 'x', command: 'clamscan {path} | tee log' })).toThrow(/without a shell/);
  });
});

/** True once the process is gone or a zombie (dead, waiting for whoever reaps orphans). */
async function exitsSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined || / Z /.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
