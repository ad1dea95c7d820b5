#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (`npm run build` makes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('scangate: dist/ is missing; run `npm run build` (or scripts/setup.sh) first\n');
  process.exit(2);
}
await import(compiled.href);
