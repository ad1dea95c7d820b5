// `scangate policy eval` decides policy cases with no server or database, for operators
// testing a policy file (and for the differential test); `scangate policy defaults`
// prints the built-in rules as a policy file to start from.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { policyCheckCommand } from './policy-check.js';
import { defaultsYaml, loadPolicy, type Decision, type PolicyEngine, type PolicyProblem } from '../policy/index.js';

export const policyExitCodes = { allow: 0, badInput: 2, deny: 3 } as const;

interface EvalFlags {
  rules?: string;
  rule?: string;
  target: string;
  creds: string;
  cases?: string;
  reasons?: boolean;
}

class BadInput extends Error {}

const evalHelp = `
The rule is a name defined in the rules (or the defaults), else rule text in the
oslo.policy language, e.g. --rule "role:admin or rule:restricted".
Problems found in the rules (unparsable rules, references to no rule...) are printed
on stderr; such rules deny.

--cases FILE reads JSON lines {"rule": ..., "target": {...}, "creds": {...}} and prints
allow or deny per line (a bad line prints deny and is reported on stderr).

Exit codes: 0 allow (every case allowed), 3 deny (some case denied), 2 bad input
(unreadable or invalid rules file, invalid JSON, bad usage).
`;

export function policyCommand(): Command {
  return new Command('policy')
    .description('decide and print oslo.policy-style rules offline')
    .addCommand(evalCommand())
    .addCommand(policyCheckCommand())
    .addCommand(
      new Command('defaults').description('print the default rules as a YAML policy file').action(() => {
        process.stdout.write(defaultsYaml());
      }),
    );
}

function evalCommand(): Command {
  return new Command('eval')
    .description('decide one case (or --cases FILE) against a policy file and the defaults; exit 0 allow, 3 deny, 2 bad input')
    .option('--rules <file>', 'policy file, JSON or YAML (name: rule); laid over the defaults')
    .option('--rule <name-or-rule>', 'a rule name, or rule text')
    .option('--target <json>', 'the target, a JSON object', '{}')
    .option('--creds <json>', 'the credentials, a JSON object', '{}')
    .option('--cases <file>', 'JSON lines of {"rule","target","creds"}; prints allow/deny per line')
    .option('--reasons', 'with --cases, print the reason after each verdict (tab-separated)')
    .addHelpText('after', evalHelp)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : policyExitCodes.badInput))
    .action(async (flags: EvalFlags) => {
      process.exitCode = await runEval(flags).catch((err: unknown) => {
        process.stderr.write(`scangate: ${err instanceof Error ? err.message : String(err)}\n`);
        return policyExitCodes.badInput;
      });
    });
}

async function runEval(flags: EvalFlags): Promise<number> {
  if (flags.cases === undefined && flags.rule === undefined) throw new BadInput('give --rule NAME_OR_RULE, or --cases FILE');
  const engine = await loadPolicy(flags.rules);
  reportProblems(engine.problems);
  if (flags.cases !== undefined) return evalCases(engine, flags.cases, flags.reasons === true);
  const rule = flags.rule ?? '';
  const target = jsonObject(flags.target, '--target');
  const creds = jsonObject(flags.creds, '--creds');
  reportProblems(engine.expressionProblems(rule));
  const decision = engine.decide(rule, target, creds);
  process.stdout.write(`${verdict(decision)}\n${decision.reason}\n`);
  return decision.allowed ? policyExitCodes.allow : policyExitCodes.deny;
}

/** Streams the cases file: one verdict per line as it is decided. */
async function evalCases(engine: PolicyEngine, path: string, reasons: boolean): Promise<number> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => input.once('open', () => resolve()).once('error', reject));
  await opened.catch((err: NodeJS.ErrnoException) => {
    throw new BadInput(`cannot read cases file ${path}: ${err.code ?? err.message}`);
  });
  let exit: number = policyExitCodes.allow;
  let lineNumber = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNumber++;
    if (!line.trim()) continue;
    let decision: Decision;
    try {
      const policyCase = parseCase(line);
      decision = engine.decide(policyCase.rule, policyCase.target, policyCase.creds);
      if (!decision.allowed && exit === policyExitCodes.allow) exit = policyExitCodes.deny;
    } catch (err) {
      if (!(err instanceof BadInput)) throw err;
      process.stderr.write(`scangate: ${path}:${lineNumber}: ${err.message}\n`);
      decision = { allowed: false, reason: `bad input: ${err.message}` };
      exit = policyExitCodes.badInput;
    }
    process.stdout.write(reasons ? `${verdict(decision)}\t${decision.reason}\n` : `${verdict(decision)}\n`);
  }
  return exit;
}

function parseCase(line: string): { rule: string; target: Record<string, unknown>; creds: Record<string, unknown> } {
  const value = parseJson(line, 'the line');
  if (!isObject(value) || typeof value['rule'] !== 'string') throw new BadInput('a case is {"rule": "...", "target": {...}, "creds": {...}}');
  const target = value['target'] ?? {};
  const creds = value['creds'] ?? {};
  if (!isObject(target) || !isObject(creds)) throw new BadInput('"target" and "creds" must be JSON objects');
  return { rule: value['rule'], target, creds };
}

function jsonObject(text: string, flag: string): Record<string, unknown> {
  const value = parseJson(text, flag);
  if (!isObject(value)) throw new BadInput(`${flag} must be a JSON object`);
  return value;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadInput(`${what} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function verdict(decision: Decision): 'allow' | 'deny' {
  return decision.allowed ? 'allow' : 'deny';
}

function reportProblems(problems: readonly PolicyProblem[]): void {
  for (const { rule, message } of problems) process.stderr.write(`scangate: policy: rule ${JSON.stringify(rule)}: ${message}\n`);
}
