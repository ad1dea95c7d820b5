// `scangate keys rotate|list|prune`: the signing keys of the registry token service. A
// running server notices a rotation within its key cache time (a minute by default); tokens
// signed with the retired key keep verifying for the grace period, then `prune` removes it.
import { Command } from 'commander';
import type { ConfigFlags } from '../../config/load.js';
import { formatMoment, printTableOrJson } from './format.js';
import { identityCommand, runWithIdentityAdmin } from './run.js';

interface ListFlags extends ConfigFlags {
  json?: boolean;
}

export function keysCommand(): Command {
  return new Command('keys')
    .description('manage the signing keys of registry tokens: rotate, list, prune')
    .addCommand(
      identityCommand('rotate')
        .description('make a new current signing key; the previous one still verifies the tokens it signed until they expire')
        .action((flags: ConfigFlags) =>
          runWithIdentityAdmin(flags, async (admin) => {
            const key = await admin.rotateSigningKey();
            process.stdout.write(`new current signing key ${key.kid} (${key.algorithm})\n`);
          }),
        ),
    )
    .addCommand(listCommand())
    .addCommand(
      identityCommand('prune')
        .description('delete the keys retired longer ago than the grace period (no token they signed is still valid)')
        .action((flags: ConfigFlags) =>
          runWithIdentityAdmin(flags, async (admin) => {
            const pruned = await admin.pruneSigningKeys();
            process.stdout.write(`pruned ${pruned} retired signing key${pruned === 1 ? '' : 's'}\n`);
          }),
        ),
    );
}

function listCommand(): Command {
  return identityCommand('list')
    .description('list signing keys, newest first: kid, algorithm, created, retired, current')
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const keys = await admin.listSigningKeys();
        printTableOrJson(
          flags.json,
          keys,
          ['KID', 'ALG', 'CREATED', 'RETIRED', 'CURRENT', 'VERIFIES UNTIL'],
          keys.map((k) => [k.kid, k.algorithm, formatMoment(k.createdAt), formatMoment(k.retiredAt), k.current ? 'yes' : 'no', k.current ? '-' : formatMoment(k.verifiesUntil)]),
        );
      }),
    );
}
