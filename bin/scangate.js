#!/usr/bin/env -S node --max-semi-space-size=4 --single-threaded-gc
// The installed entry point: runs the compiled CLI (`npm run build` makes dist/).
//
// Why the flags on the first line (bench/README.md has the figures):
// - --max-semi-space-size=4: V8 lets its young generation grow to 2 x 16 MiB semi-spaces
//   under the allocation bursts of start-up and of a big push, and keeps them: an idle
//   server held ~30 MB of resident memory with 0.6 MB of it in use. 4 MiB keeps the server
//   ~30 MB smaller, idle and at peak, at the same throughput (1 MiB doubled a push's CPU).
// - --single-threaded-gc: the heap is small (~30-50 MB) and the work is streaming, so V8's
//   helper threads for parallel and concurrent collection bought no throughput; on a
//   machine whose cores a scanner fills, they cost ~1 CPU-second per 500 MB fetched and
//   scanned, taken from the scanner.
// V8 reads them when it sizes the heap, so setting them from here would be too late.
// `node bin/scangate.js` skips this line; give the flags yourself then (`npm start` runs
// this file as a program, so it gets them from here).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('scangate: dist/ is missing; run `npm run build` (or scripts/setup.sh) first\n');
  process.exit(2);
}
await import(compiled.href);
