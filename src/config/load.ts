// Loads the effective configuration: defaults < YAML file < environment < command-line flags.
// Everything is validated once, by configSchema, after the layers are merged; a bad key stops
// the start with a message that names the key and where it came from (the file, an env var
// or a flag), so an operator knows which line to fix.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { parseRemoteFlag } from './remote-flag.js';
import { parseAdapterFlag } from './adapter-flag.js';

/** Everything that went wrong with the configuration, one line per problem. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`config error in ${source}: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Values given on the command line; they win over everything else. */
export interface ConfigFlags {
  config?: string;
  listen?: string;
  data?: string;
  logLevel?: string;
  /** `--no-scan`: commander gives `scan: false`. */
  scan?: boolean;
  /** `--no-auth`: commander gives `auth: false`. */
  auth?: boolean;
  /** `--clamd ADDR` (repeatable): a clamd every repository requires. */
  clamd?: string[];
  /** `--scan-command 'ARGV with {path}'` (repeatable): a command every repository requires. */
  scanCommand?: string[];
  /** `--remote NAME=URL[,policy=...]` (repeatable): remotes added to the file's. */
  remote?: string[];
  /** `--adapter NAME=URL` (repeatable): Harbor scanner adapters added to the file's. */
  adapter?: string[];
}

export interface LoadOptions {
  flags?: ConfigFlags;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** The YAML file read, if any. */
  file?: string;
}

/** One value laid over the file's: where it goes in the config and who set it. */
interface Overlay {
  path: string[];
  value: unknown;
  source: string;
}

type Tree = Record<string, unknown>;

export async function loadConfig(options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const file = flags.config ?? nonEmpty(env.SCANGATE_CONFIG);
  const fromFile = file === undefined ? {} : await readConfigFile(file);
  const overlays = [...envOverlays(env, fromFile), ...flagOverlays(flags), ...scannerFlagOverlays(flags, fromFile), ...remoteFlagOverlays(flags, fromFile), ...adapterFlagOverlays(flags, fromFile)];
  const merged = structuredClone(fromFile);
  for (const overlay of overlays) setPath(merged, overlay.path, overlay.value);
  return { config: validate(merged, file ?? 'the configuration', overlays), file };
}

/** Validates an already-merged object (tests and `loadConfig` share this). */
export function validate(raw: unknown, source: string, overlays: Overlay[] = []): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const found = result.error.issues.flatMap(describeIssue).map(({ path, message }) => ({
    from: overlays.find((o) => startsWith(path, o.path))?.source ?? source,
    line: `${path.join('.') || '(top level)'}: ${message}`,
  }));
  const blamed = found[0]!.from;
  return raiseConfigError(blamed, found.map(({ from, line }) => (from === blamed ? line : `${line} (from ${from})`)));
}

function raiseConfigError(source: string, problems: string[]): never {
  throw new ConfigError(source, problems);
}

async function readConfigFile(file: string): Promise<Tree> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return raiseConfigError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return raiseConfigError(file, doc.errors.map((e) => e.message.split('\n')[0]!));
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return raiseConfigError(file, ['(top level): expected a mapping of keys']);
  return value as Tree;
}

function envOverlays(env: NodeJS.ProcessEnv, fromFile: Tree): Overlay[] {
  const overlays: Overlay[] = [];
  const add = (name: string, path: string[], value: unknown) => overlays.push({ path, value, source: name });
  const listen = nonEmpty(env.SCANGATE_LISTEN);
  const data = nonEmpty(env.SCANGATE_DATA);
  const level = nonEmpty(env.SCANGATE_LOG_LEVEL);
  const databaseUrl = nonEmpty(env.SCANGATE_DATABASE_URL);
  if (listen !== undefined) add('SCANGATE_LISTEN', ['listen'], listen);
  if (data !== undefined) add('SCANGATE_DATA', ['data'], data);
  if (level !== undefined) add('SCANGATE_LOG_LEVEL', ['log', 'level'], level);
  if (databaseUrl !== undefined) add('SCANGATE_DATABASE_URL', ['database'], databaseFromUrl(databaseUrl, fromFile.database));
  return overlays;
}

/** postgres:// (or postgresql://) selects the PostgreSQL driver, keeping the file's pool size. */
function databaseFromUrl(url: string, fileDatabase: unknown): Tree {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    return raiseConfigError('SCANGATE_DATABASE_URL', ['database: expected a postgres:// URL']);
  }
  const file = isTree(fileDatabase) && fileDatabase.driver === 'postgres' ? fileDatabase : {};
  return { ...file, driver: 'postgres', url };
}

function flagOverlays(flags: ConfigFlags): Overlay[] {
  const overlays: Overlay[] = [];
  if (flags.listen !== undefined) overlays.push({ path: ['listen'], value: flags.listen, source: '--listen' });
  if (flags.data !== undefined) overlays.push({ path: ['data'], value: flags.data, source: '--data' });
  if (flags.logLevel !== undefined) overlays.push({ path: ['log', 'level'], value: flags.logLevel, source: '--log-level' });
  if (flags.auth === false) overlays.push({ path: ['auth', 'enabled'], value: false, source: '--no-auth' });
  return overlays;
}

/**
 * The scanner shorthands. Scanners named on the command line join those of the file; when
 * the file names none, they replace the default (the managed clamd) instead of joining it.
 */
function scannerFlagOverlays(flags: ConfigFlags, fromFile: Tree): Overlay[] {
  const overlays: Overlay[] = [];
  if (flags.scan === false) overlays.push({ path: ['scanning', 'enabled'], value: false, source: '--no-scan' });
  const clamd = (flags.clamd ?? []).map((address, i) => ({ name: i === 0 ? 'clamd' : `clamd-${i + 1}`, kind: 'clamd', address }));
  const commands = (flags.scanCommand ?? []).map((command, i) => ({ name: i === 0 ? 'command' : `command-${i + 1}`, kind: 'command', command }));
  if (clamd.length + commands.length === 0) return overlays;
  const scanning = isTree(fromFile.scanning) ? fromFile.scanning : {};
  const fileScanners = Array.isArray(scanning.scanners) ? scanning.scanners : [];
  const source = clamd.length > 0 ? '--clamd' : '--scan-command';
  overlays.push({ path: ['scanning', 'scanners'], value: [...fileScanners, ...clamd, ...commands], source });
  return overlays;
}

/** `--remote` values join the file's remotes; a malformed value stops the start, naming it. */
function remoteFlagOverlays(flags: ConfigFlags, fromFile: Tree): Overlay[] {
  return listFlagOverlays('--remote', flags.remote, parseRemoteFlag, fromFile, 'remotes');
}

/** `--adapter` values join the file's vulnerabilityScanners, the same way. */
function adapterFlagOverlays(flags: ConfigFlags, fromFile: Tree): Overlay[] {
  return listFlagOverlays('--adapter', flags.adapter, parseAdapterFlag, fromFile, 'vulnerabilityScanners');
}

/** A repeatable flag whose values each become one entry of the top-level list `key`. */
function listFlagOverlays(
  flag: string,
  values: string[] | undefined,
  parse: (value: string) => { entry: Record<string, unknown> } | { problem: string },
  fromFile: Tree,
  key: string,
): Overlay[] {
  if (!values || values.length === 0) return [];
  const parsed = values.map(parse);
  const problems = parsed.flatMap((p) => ('problem' in p ? [p.problem] : []));
  if (problems.length > 0) return raiseConfigError(flag, problems);
  const entries = parsed.flatMap((p) => ('entry' in p ? [p.entry] : []));
  const fileEntries = Array.isArray(fromFile[key]) ? fromFile[key] : [];
  return [{ path: [key], value: [...fileEntries, ...entries], source: flag }];
}

/** Turns one zod issue into messages an operator can act on, each at a full key path. */
function describeIssue(issue: z.core.$ZodIssue): { path: string[]; message: string }[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown key' }));
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return [{ path, message: `required (expected ${issue.expected})` }];
  }
  return [{ path, message: issue.message.replace(/^Invalid input: /, '') }];
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function startsWith(path: string[], prefix: string[]): boolean {
  return prefix.every((key, i) => path[i] === key);
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
