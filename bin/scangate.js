#!/usr/bin/env -S node --max-semi-space-size=4
// The installed entry point: runs the compiled CLI (`npm run build` makes dist/).
//
// Why the flag on the first line: V8 lets its young generation grow to 2 x 16 MiB
// semi-spaces under the allocation bursts of start-up and of a big push, and keeps them: an
// idle server held ~30 MB of resident memory with 0.6 MB of it in use. 4 MiB semi-spaces
// keep the server ~30 MB smaller, idle and at peak, at the same throughput (1 MiB doubled
// a push's CPU; bench/README.md has the figures). It must be given at start: V8 reads it
// when it sizes the heap, so setting it from here would be too late. `node bin/scangate.js`
// skips the line; add the flag yourself then (`npm start` does).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('scangate: dist/ is missing; run `npm run build` (or scripts/setup.sh) first\n');
  process.exit(2);
}
await import(compiled.href);
