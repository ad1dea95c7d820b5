// `scangate robot add|list|regenerate|delete`: robot accounts and their API tokens.
import { Command } from 'commander';
import { assertPrincipalName } from '../../auth/names.js';
import type { ConfigFlags } from '../../config/load.js';
import { formatMoment, printTableOrJson } from './format.js';
import { parseExpiry } from './input.js';
import { describeBindings } from './principals.js';
import { identityCommand, runWithIdentityAdmin } from './run.js';
import { showSecretOnce } from './secrets.js';

interface AddFlags extends ConfigFlags {
  owner: string;
  description?: string;
  expires?: string;
}

interface ListFlags extends ConfigFlags {
  owner?: string;
  json?: boolean;
}

interface RegenerateFlags extends ConfigFlags {
  expires?: string;
}

const expiresHelp = 'token lifetime: a duration (30m, 12h, 90d, 2w, 1y) or an ISO 8601 date';

export function robotCommand(): Command {
  return new Command('robot')
    .description('manage robot accounts (API tokens for CI and machines): add, list, regenerate, delete')
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(regenerateCommand())
    .addCommand(deleteCommand());
}

function addCommand(): Command {
  return identityCommand('add')
    .description('create a robot owned by a user and print its token once (give it roles with `scangate role bind --robot`)')
    .argument('<name>', 'robot name (lower-case letters, digits, . _ -)')
    .requiredOption('--owner <user>', 'the user who owns it: disabling or deleting the user does the same to the robot')
    .option('--description <text>', 'what the robot is for')
    .option('--expires <when>', `${expiresHelp} (default: never)`)
    .action((name: string, flags: AddFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        assertPrincipalName(name);
        const expiresAt = flags.expires === undefined ? null : parseExpiry(flags.expires, new Date());
        const { robot, token } = await admin.createRobot({ name, owner: flags.owner, description: flags.description, expiresAt });
        showSecretOnce(token, `Created robot ${robot.name} owned by ${robot.owner} (${describeExpiry(robot.expiresAt)}); its token:`);
      }),
    );
}

function listCommand(): Command {
  return identityCommand('list')
    .description('list robots with owner, expiry, last use and roles (never their tokens)')
    .option('--owner <user>', "only this user's robots")
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const robots = await admin.listRobots(flags.owner);
        printTableOrJson(
          flags.json,
          robots,
          ['NAME', 'OWNER', 'EXPIRES', 'LAST USED', 'ROLES', 'DESCRIPTION'],
          robots.map((r) => [r.name, r.owner, formatMoment(r.expiresAt), formatMoment(r.lastUsedAt), describeBindings(r.roles), r.description || '-']),
        );
      }),
    );
}

function regenerateCommand(): Command {
  return identityCommand('regenerate')
    .description('replace a robot\'s token (the old one stops working at once) and print the new one once')
    .argument('<name>', 'robot name')
    .option('--expires <when>', `${expiresHelp} (default: the current expiry, if it has not passed)`)
    .action((name: string, flags: RegenerateFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const now = new Date();
        const expiresAt = flags.expires === undefined ? undefined : parseExpiry(flags.expires, now);
        const { robot, token } = await admin.regenerateRobotToken(name, expiresAt, now);
        showSecretOnce(token, `New token for robot ${robot.name} (${describeExpiry(robot.expiresAt)}); the old token no longer works:`);
      }),
    );
}

function deleteCommand(): Command {
  return identityCommand('delete')
    .description('delete a robot and its role bindings (its token stops working at once)')
    .argument('<name>', 'robot name')
    .action((name: string, flags: ConfigFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        await admin.deleteRobot(name);
        process.stdout.write(`deleted robot ${name}\n`);
      }),
    );
}

function describeExpiry(expiresAt: Date | null): string {
  return expiresAt === null ? 'never expires' : `expires ${formatMoment(expiresAt)}`;
}
