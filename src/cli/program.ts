// The `scangate` command line: one subcommand per file, assembled here.
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { bucketCommand } from './bucket.js';
import { configCommand } from './config-print.js';
import { fsckCommand } from './fsck.js';
import { identityCommands } from './identity/index.js';
import { policyCommand } from './policy.js';
import { rescanCommand } from './rescan.js';
import { scanCommand } from './scan.js';
import { serveCommand } from './serve.js';
import { syncCommand } from './sync.js';
import { workerCommand } from './worker.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('scangate')
    .description('An OCI registry in which nothing is stored for good or served before it has been scanned.')
    .version(version)
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(workerCommand())
    .addCommand(scanCommand())
    .addCommand(syncCommand())
    .addCommand(configCommand())
    .addCommand(fsckCommand())
    .addCommand(policyCommand())
    .addCommand(rescanCommand())
    .addCommand(bucketCommand());
  for (const command of identityCommands()) program.addCommand(command);
  return program;
}
