// Entry point of the `scangate` binary (bin/scangate.js imports the compiled file).
// Exit codes: 0 success, 1 failure (or fsck faults), 2 a configuration error.
import { ConfigError } from '../config/load.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`scangate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
