// `scangate user add|list|passwd|disable|enable|delete`: user accounts and their passwords.
import { Command } from 'commander';
import { assertPrincipalName } from '../../auth/names.js';
import { generatePassword, hashPassword } from '../../auth/passwords.js';
import type { ConfigFlags } from '../../config/load.js';
import type { IdentityStore, UserRecord } from '../../ports/identity-store.js';
import { formatMoment, printTableOrJson } from './format.js';
import { readPasswordLine } from './input.js';
import { bindingPairs, collect, describeBindings, requireUser } from './principals.js';
import { identityCommand, OperationFailed, runWithIdentityStore } from './run.js';
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
      runWithIdentityStore(flags, async (store) => {
        assertPrincipalName(name);
        const bindings = bindingPairs(flags.role, flags.namespace);
        const { password, generated } = await choosePassword(flags);
        const user = await store.createUser({ name, passwordHash: await hashPassword(password) }, bindings);
        const roles = bindings.length === 0 ? 'no roles' : `roles ${describeBindings(bindings)}`;
        if (generated) showSecretOnce(password, `Created user ${user.name} (${roles}) with this generated password.`);
        else process.stdout.write(`created user ${user.name} (${roles})\n`);
      }),
    );
}

function listCommand(): Command {
  return identityCommand('list')
    .description('list users with their status and roles')
    .option('--json', 'print JSON instead of a table')
    .action((flags: ListFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const users = await Promise.all((await store.listUsers()).map((user) => describeUser(store, user)));
        printTableOrJson(
          flags.json,
          users,
          ['NAME', 'STATUS', 'ROLES', 'CREATED'],
          users.map((user) => [user.name, user.disabled ? 'disabled' : 'enabled', describeBindings(user.roles), formatMoment(user.createdAt)]),
        );
      }),
    );
}

/** What a listing shows of a user: never the password hash. */
async function describeUser(store: IdentityStore, user: UserRecord) {
  const bindings = await store.listBindings({ principal: { kind: 'user', id: user.id } });
  const roles = bindings.map(({ namespace, role }) => ({ namespace, role }));
  return { name: user.name, disabled: user.disabled, roles, createdAt: user.createdAt, updatedAt: user.updatedAt };
}

function passwdCommand(): Command {
  return identityCommand('passwd')
    .description("set a user's password")
    .argument('<name>', 'user name')
    .option('--password-stdin', passwordStdinHelp)
    .action((name: string, flags: PasswordFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const user = await requireUser(store, name);
        const { password, generated } = await choosePassword(flags);
        await store.updateUser(user.id, { passwordHash: await hashPassword(password) });
        if (generated) showSecretOnce(password, `Set a generated password for user ${user.name}.`);
        else process.stdout.write(`password of user ${user.name} changed\n`);
      }),
    );
}

function setDisabledCommand(verb: 'disable' | 'enable', disabled: boolean): Command {
  return identityCommand(verb)
    .description(disabled ? 'refuse every login of a user and of its robots (kept, can be enabled again)' : 'allow a disabled user to log in again')
    .argument('<name>', 'user name')
    .action((name: string, flags: ConfigFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const user = await requireUser(store, name);
        if (user.disabled === disabled) {
          process.stdout.write(`user ${user.name} is ${verb}d already\n`);
          return;
        }
        await store.updateUser(user.id, { disabled });
        process.stdout.write(`user ${user.name} ${verb}d\n`);
      }),
    );
}

function deleteCommand(): Command {
  return identityCommand('delete')
    .description('delete a user with its robots and every role binding of both')
    .argument('<name>', 'user name')
    .action((name: string, flags: ConfigFlags) =>
      runWithIdentityStore(flags, async (store) => {
        const user = await requireUser(store, name);
        const robots = await store.listRobots(user.id);
        if (!(await store.deleteUser(user.id))) throw new OperationFailed(`unknown user ${JSON.stringify(name)}`);
        const alsoRobots = robots.length === 0 ? '' : ` and its robots ${robots.map((robot) => robot.name).join(', ')}`;
        process.stdout.write(`deleted user ${user.name}${alsoRobots}\n`);
      }),
    );
}

async function choosePassword(flags: PasswordFlags): Promise<{ password: string; generated: boolean }> {
  if (flags.passwordStdin) return { password: await readPasswordLine(process.stdin), generated: false };
  return { password: generatePassword(), generated: true };
}
