// `scangate keys rotate|list|prune`: the signing keys of the registry token service. A
// running server notices a rotation within its key cache time (a minute by default); tokens
// signed with the retired key keep verifying for the grace period, then `prune` removes it.
import { Command } from 'commander';
import { RegistryTokenService } from '../../auth/token-service.js';
import type { ConfigFlags } from '../../config/load.js';
import type { IdentityStore } from '../../ports/identity-store.js';
import { formatMoment, printTableOrJson } from './format.js';
import { identityCommand, runWithIdentityStore } from './run.js';

interface ListFlags extends ConfigFlags {
  json?: boolean;
}

/**
 * The token service with its default lifetimes, which set the retired keys' grace period.
 * The issuer is never used here: these commands neither issue nor verify tokens.
 */
function tokenService(store: IdentityStore): RegistryTokenService {
  return new RegistryTokenService(store, { issuer: 'scangate' });
}

export function keysCommand(): Command {
  return new Command('keys')
    .description('manage the signing keys of registry tokens: rotate, list, prune')
    .addCommand(
      identityCommand('rotate')
        .description('make a new current signing key; the previous one still verifies the tokens it signed until they expire')
        .action((flags: ConfigFlags) =>
          runWithIdentityStore(flags, async (store) => {
            const key = await tokenService(store).rotate();
            process.stdout.write(`new current signing key ${key.kid} (${key.algorithm})\n`);
          }),
        ),
    )
    .addCommand(listCommand())
    .addCommand(
      identityCommand('prune')
        .description('delete the keys retired longer ago than the grace period (no token they signed is still valid)')
        .action((flags: ConfigFlags) =>
          runWithIdentityStore(flags, async (store) => {
            const pruned = await tokenService(store).pruneRetiredKeys();
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
      runWithIdentityStore(flags, async (store) => {
        const graceMs = tokenService(store).retiredKeyGraceMs;
        // Every key: the current one and all retired since the epoch.
        const keys = (await store.verificationKeys(new Date(0))).map((key) => ({
          kid: key.kid,
          algorithm: key.algorithm,
          createdAt: key.createdAt,
          retiredAt: key.retiredAt,
          current: key.retiredAt === null,
          verifiesUntil: key.retiredAt === null ? null : new Date(key.retiredAt.getTime() + graceMs),
        }));
        printTableOrJson(
          flags.json,
          keys,
          ['KID', 'ALG', 'CREATED', 'RETIRED', 'CURRENT', 'VERIFIES UNTIL'],
          keys.map((k) => [k.kid, k.algorithm, formatMoment(k.createdAt), formatMoment(k.retiredAt), k.current ? 'yes' : 'no', k.current ? '-' : formatMoment(k.verifiesUntil)]),
        );
      }),
    );
}
