// `scangate config print`: the effective configuration (file, env and flags merged, defaults
// filled in) as YAML, with secrets hidden, so it can be pasted into a bug report.
import { Command } from 'commander';
import { Document } from 'yaml';
import type { ConfigFlags } from '../config/load.js';
import { redact } from '../config/redact.js';
import { loadFromOptions, withConfigOptions } from './options.js';

export function configCommand(): Command {
  const print = withConfigOptions(new Command('print'))
    .description('print the effective configuration as YAML, secrets hidden')
    .action(async (options: ConfigFlags) => {
      const { config, file } = await loadFromOptions(options);
      const doc = new Document(redact(config));
      doc.commentBefore = ` effective scangate configuration (file: ${file ?? 'none'}; env and flags applied; secrets hidden)`;
      process.stdout.write(doc.toString());
    });
  return new Command('config').description('inspect the configuration').addCommand(print);
}
