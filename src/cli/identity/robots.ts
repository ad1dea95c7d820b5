// `scangate robot add|list|regenerate|delete`: robot accounts and their API tokens.
import { Command } from 'commander';
import { assertPrincipalName } from '../../auth/names.js';
import { createRobotAccount, regenerateRobotToken } from '../../auth/robots.js';
import type { ConfigFlags } from '../../config/load.js';
import type { IdentityStore, RobotRecord } from '../../ports/identity-store.js';
import { formatMoment, printTableOrJson } from './format.js';
import { parseExpiry } from './input.js';
import { describeBindings, requireRobot, requireUser } from './principals.js';
import { identityCommand, OperationFailed, runWithIdentityStore } from './run.js';
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
      runWithIdentityStore(flags, async (store) => {
        assertPrincipalName(name);
        const expiresAt = flags.expires === undefined ? null : parseExpiry(flags.expires, new Date());
        const owner = await requireUser(store, flags.owner);
        const { robot, token } = await createRobotAccount(store, { name, ownerId: owner.id, description: flags.description ?? '', expiresAt });
        showSecretOnce(token, `Created robot ${robot.name} owned by ${owner.name} (${describeExpiry(robot.expiresAt)}); its token:`);
      }),
    );
}

function listCommand(): Command {
  return identityCommand('list')
    .description('list robots with owner, expiry, last use and roles (never their tokens)')
    .option('--owner <user>', "only this user's robots")
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const ownerId = flags.owner === undefined ? undefined : (await requireUser(store, flags.owner)).id;
        const owners = new Map((await store.listUsers()).map((user) => [user.id, user.name]));
        const robots = await Promise.all((await store.listRobots(ownerId)).map((robot) => describeRobot(store, robot, owners)));
        printTableOrJson(
          flags.json,
          robots,
          ['NAME', 'OWNER', 'EXPIRES', 'LAST USED', 'ROLES', 'DESCRIPTION'],
          robots.map((r) => [r.name, r.owner, formatMoment(r.expiresAt), formatMoment(r.lastUsedAt), describeBindings(r.roles), r.description || '-']),
        );
      }),
    );
}

/** What a listing shows of a robot: never the token hash. */
async function describeRobot(store: IdentityStore, robot: RobotRecord, owners: ReadonlyMap<string, string>) {
  const bindings = await store.listBindings({ principal: { kind: 'robot', id: robot.id } });
  return {
    name: robot.name,
    owner: owners.get(robot.ownerId) ?? robot.ownerId,
    description: robot.description,
    roles: bindings.map(({ namespace, role }) => ({ namespace, role })),
    expiresAt: robot.expiresAt,
    lastUsedAt: robot.lastUsedAt,
    createdAt: robot.createdAt,
  };
}

function regenerateCommand(): Command {
  return identityCommand('regenerate')
    .description('replace a robot\'s token (the old one stops working at once) and print the new one once')
    .argument('<name>', 'robot name')
    .option('--expires <when>', `${expiresHelp} (default: the current expiry, if it has not passed)`)
    .action((name: string, flags: RegenerateFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const now = new Date();
        const robot = await requireRobot(store, name);
        const expiresAt = flags.expires === undefined ? keptExpiry(robot, now) : parseExpiry(flags.expires, now);
        const renewed = await regenerateRobotToken(store, robot.id, expiresAt);
        if (renewed === undefined) throw new OperationFailed(`unknown robot ${JSON.stringify(name)}`);
        showSecretOnce(renewed.token, `New token for robot ${robot.name} (${describeExpiry(expiresAt)}); the old token no longer works:`);
      }),
    );
}

/** Without --expires the new token keeps the old expiry, unless it has passed. */
function keptExpiry(robot: RobotRecord, now: Date): Date | null {
  if (robot.expiresAt !== null && robot.expiresAt.getTime() <= now.getTime()) {
    throw new OperationFailed(`the token of robot ${robot.name} expired at ${formatMoment(robot.expiresAt)}: give --expires for the new one`);
  }
  return robot.expiresAt;
}

function deleteCommand(): Command {
  return identityCommand('delete')
    .description('delete a robot and its role bindings (its token stops working at once)')
    .argument('<name>', 'robot name')
    .action((name: string, flags: ConfigFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const robot = await requireRobot(store, name);
        if (!(await store.deleteRobot(robot.id))) throw new OperationFailed(`unknown robot ${JSON.stringify(name)}`);
        process.stdout.write(`deleted robot ${robot.name}\n`);
      }),
    );
}

function describeExpiry(expiresAt: Date | null): string {
  return expiresAt === null ? 'never expires' : `expires ${formatMoment(expiresAt)}`;
}
