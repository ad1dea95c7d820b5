// Runs parts of src/ in plain Node child processes, for tests about several processes at
// once (vitest transforms TypeScript only inside its own workers). Each file is transpiled
// on its own, which is enough because imports already name their `.js` files.
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Writes JavaScript for every non-test .ts file under `folders` (paths relative to the
 * project root, e.g. `src/metadata`) into `outDir`, keeping their relative paths, and links
 * the project's node_modules there so that packages resolve.
 */
export async function transpileFolders(folders: readonly string[], outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(projectRoot, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  for (const folder of folders) {
    for (const file of await sourceFiles(join(projectRoot, folder))) {
      const output = ts.transpileModule(await readFile(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: file,
      });
      const target = join(outDir, relative(projectRoot, file)).replace(/\.ts$/, '.js');
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, output.outputText);
    }
  }
}

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !/\.(test|suite)\.ts$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}
