// Vitest global setup: builds dist/ once per test run, because the CLI tests and the e2e
// tests run the real `scangate` binary (bin/scangate.js loads dist/). Skipped when dist/
// is newer than every source file, so running one test file stays fast.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** Touched at the start of each successful build: a source saved during the build is newer. */
const stamp = join(root, 'dist', '.build-stamp');

export default async function setup(): Promise<void> {
  if (await buildIsFresh()) return;
  const started = new Date();
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  const output = `${build.stdout}${build.stderr}`.trim();
  if (build.status !== 0) {
    // tsc still emits on type errors; tests of behaviour can run, but say so loudly.
    if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error(`npm run build failed:\n${output}`);
    process.stderr.write(`\n[global-setup] npm run build reported errors (dist/ emitted anyway):\n${output}\n\n`);
    return;
  }
  await writeFile(stamp, '');
  await utimes(stamp, started, started);
}

async function buildIsFresh(): Promise<boolean> {
  const built = await stat(stamp).then((s) => s.mtimeMs, () => undefined);
  if (built === undefined) return false;
  const inputs = [join(root, 'package.json'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
  for await (const file of sourceFiles(join(root, 'src'))) inputs.push(file);
  const times = await Promise.all(inputs.map((file) => stat(file).then((s) => s.mtimeMs, () => Infinity)));
  return times.every((time) => time < built);
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.ts$/.test(entry.name) && !/\.(test|suite)\.ts$/.test(entry.name)) yield path;
  }
}
