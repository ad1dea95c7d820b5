// `scangate user add|list|passwd|disable|enable|delete`: user accounts and their passwords.
import { Command } from 'commander';
import { assertPrincipalName } from '../../auth/names.js';
import type { ConfigFlags } from '../../config/load.js';
import { formatMoment, printTableOrJson } from './format.js';
import { readPasswordLine } from './input.js';
import { bindingPairs, collect, describeBindings } from './principals.js';
import { identityCommand, runWithIdentityAdmin } from './run.js';
import { showSecretOnce } from './secrets.js';

interface PasswordFlags extends ConfigFlags {
  passwordStdin?: boolean;
}

interface AddFlags extends PasswordFlags {
  role?: string[];
  namespace?: string[];
}

interface ListFlags extends ConfigFlags {
  json?: boolean;
}

const passwordStdinHelp = 'read the password from the first line of standard input (else one is generated and printed once)';

export function userCommand(): Command {
  return new Command('user')
    .description('manage user accounts: add, list, passwd, disable, enable, delete')
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(passwdCommand())
    .addCommand(setDisabledCommand('disable', true))
    .addCommand(setDisabledCommand('enable', false))
    .addCommand(deleteCommand());
}

function addCommand(): Command {
  return identityCommand('add')
    .description('create a user, optionally with roles: --role ROLE --namespace NS|* (repeatable, in pairs)')
    .argument('<name>', 'user name (lower-case letters, digits, . _ -)')
    .option('--role <role>', 'a role to bind (pairs with the --namespace at the same position)', collect)
    .option('--namespace <ns>', 'the namespace of that role, or * for every namespace', collect)
    .option('--password-stdin', passwordStdinHelp)
    .action((name: string, flags: AddFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        assertPrincipalName(name);
        const bindings = bindingPairs(flags.role, flags.namespace);
        const { user, generatedPassword } = await admin.createUser({ name, password: await passwordFrom(flags), roles: bindings });
        const roles = bindings.length === 0 ? 'no roles' : `roles ${describeBindings(bindings)}`;
        if (generatedPassword !== undefined) showSecretOnce(generatedPassword, `Created user ${user.name} (${roles}) with this generated password.`);
        else process.stdout.write(`created user ${user.name} (${roles})\n`);
      }),
    );
}

function listCommand(): Command {
  return identityCommand('list')
    .description('list users with their status and roles')
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const users = await admin.listUsers();
        printTableOrJson(
          flags.json,
          users,
          ['NAME', 'STATUS', 'ROLES', 'CREATED'],
          users.map((user) => [user.name, user.disabled ? 'disabled' : 'enabled', describeBindings(user.roles), formatMoment(user.createdAt)]),
        );
      }),
    );
}

function passwdCommand(): Command {
  return identityCommand('passwd')
    .description("set a user's password")
    .argument('<name>', 'user name')
    .option('--password-stdin', passwordStdinHelp)
    .action((name: string, flags: PasswordFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        await admin.getUser(name); // an unknown name fails before a password is read
        const { user, generatedPassword } = await admin.setPassword(name, await passwordFrom(flags));
        if (generatedPassword !== undefined) showSecretOnce(generatedPassword, `Set a generated password for user ${user.name}.`);
        else process.stdout.write(`password of user ${user.name} changed\n`);
      }),
    );
}

function setDisabledCommand(verb: 'disable' | 'enable', disabled: boolean): Command {
  return identityCommand(verb)
    .description(disabled ? 'refuse every login of a user and of its robots (kept, can be enabled again)' : 'allow a disabled user to log in again')
    .argument('<name>', 'user name')
    .action((name: string, flags: ConfigFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const { user, changed } = await admin.setDisabled(name, disabled);
        process.stdout.write(changed ? `user ${user.name} ${verb}d\n` : `user ${user.name} is ${verb}d already\n`);
      }),
    );
}

function deleteCommand(): Command {
  return identityCommand('delete')
    .description('delete a user with its robots and every role binding of both')
    .argument('<name>', 'user name')
    .action((name: string, flags: ConfigFlags) =>
      runWithIdentityAdmin(flags, async (admin) => {
        const { robots } = await admin.deleteUser(name);
        const alsoRobots = robots.length === 0 ? '' : ` and its robots ${robots.join(', ')}`;
        process.stdout.write(`deleted user ${name}${alsoRobots}\n`);
      }),
    );
}

/** The --password-stdin line; undefined has IdentityAdmin generate one. */
async function passwordFrom(flags: PasswordFlags): Promise<string | undefined> {
  return flags.passwordStdin ? readPasswordLine(process.stdin) : undefined;
}
