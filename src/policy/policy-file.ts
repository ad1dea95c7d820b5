// Policy files in oslo's two forms, loaded as they are: JSON (`{"name": "rule"}`) or
// YAML (`"name": "rule"`). Like oslo, JSON is tried first, then YAML (PyYAML reads
// YAML 1.1, so that is the schema used here). The file's rules are laid over the
// defaults by name.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { defaultRuleMap } from './defaults.js';
import { PolicyEngine, type PolicyEngineOptions } from './engine.js';
import { isPlainObject } from './python-values.js';

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
}

/** The name -> rule mapping of a policy file's text; throws PolicyFileError naming `source`. */
export function parsePolicyText(text: string, source = 'policy file'): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = parseYaml(text, { version: '1.1', uniqueKeys: false });
    } catch (err) {
      throw new PolicyFileError(`${source} is neither JSON nor YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (parsed === null || parsed === undefined) return {}; // oslo: an empty file has no rules
  if (!isPlainObject(parsed)) throw new PolicyFileError(`${source} must map rule names to rules, not hold a ${Array.isArray(parsed) ? 'list' : typeof parsed}`);
  return parsed;
}

export async function readPolicyFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`cannot read policy file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parsePolicyText(text, path);
}

/** An engine over the defaults, overridden by `rules` (a policy file's mapping) where given. */
export function policyWithDefaults(rules: Record<string, unknown> = {}, options?: PolicyEngineOptions): PolicyEngine {
  return new PolicyEngine({ ...defaultRuleMap(), ...rules }, options);
}

/** Reads a policy file (or none) and builds the engine over the defaults. */
export async function loadPolicy(path: string | undefined, options?: PolicyEngineOptions): Promise<PolicyEngine> {
  return policyWithDefaults(path === undefined ? {} : await readPolicyFile(path), options);
}
