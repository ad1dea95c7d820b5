// `scangate serve`: runs the registry until SIGTERM or SIGINT.
import { Command } from 'commander';
import type { ConfigFlags } from '../config/load.js';
import { startServer } from '../main.js';
import { runUntilSignalled } from './long-running.js';
import { collect, withConfigOptions, withScannerOptions } from './options.js';

export function serveCommand(): Command {
  return withScannerOptions(withConfigOptions(new Command('serve')), { noScan: true })
    .option(
      '--remote <NAME=URL[,kind=file][,policy=P][,user=U,password-file=F][,manifest=M]>',
      'mirror the registry at URL under /v2/NAME/, or with kind=file the file source at URL under /files/NAME/-/ (policy on_demand, streamed or immediate; repeatable; docs/remotes.md)',
      collect,
    )
    .option('--adapter <NAME=URL>', 'scan every pushed image with the Harbor scanner adapter at URL (Trivy, Clair...; repeatable; docs/vulnerability-scanners.md)', collect)
    .option('--no-auth', 'run with identity and policy off: anyone may pull, push and delete (for testing other parts)')
    .description('run the registry (logs one JSON line per event on stdout; SIGTERM drains and exits 0)')
    .action((options: ConfigFlags) => runUntilSignalled(options, startServer));
}
