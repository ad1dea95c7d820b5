// A loaded rule set and its one question: `decide(ruleOrName, target, creds)`.
// Rules are parsed and compiled once; everything wrong with them is collected at load
// time as `problems` (naming the rule), and a broken rule denies instead of throwing.
import { ruleText, type PolicyNode } from './ast.js';
import { classifyKind } from './check-kind.js';
import { compileNode, type CompiledNode, type EvalContext } from './compile.js';
import { parseRule, parseTextRule } from './parser.js';
import { isPlainObject, pyTruthy } from './python-values.js';
import { compileTemplate, PolicyEvaluationError } from './template.js';

export interface Decision {
  allowed: boolean;
  /** Names the rule; for a denial, the check that failed, in rule text (no target values). */
  reason: string;
}

export interface PolicyProblem {
  /** The rule's name, or the rule text for an expression given to `decide`. */
  rule: string;
  message: string;
}

export interface PolicyEngineOptions {
  /**
   * oslo's `policy_default_rule`: the rule that stands in for an unknown name (in
   * `rule:NAME` and `decideRule`), when the rule set defines it. oslo's default is
   * "default"; null turns the fallback off.
   */
  defaultRule?: string | null;
}

interface NamedRule {
  name: string;
  text: string;
  compiled: CompiledNode;
}

/** Ad-hoc expressions given to `decide` are compiled once and kept, up to this many. */
const expressionCacheSize = 512;

export class PolicyEngine {
  readonly problems: readonly PolicyProblem[];
  private readonly rules = new Map<string, NamedRule>();
  private readonly expressions = new Map<string, NamedRule>();
  private readonly defaultRule: string | null;
  private readonly parsed = new Map<string, PolicyNode>();
  private readonly keysByRule = new Map<string, Set<string>>();

  /** `rules` as a policy file holds them: name -> rule string (or list-of-lists). */
  constructor(rules: Record<string, unknown>, options: PolicyEngineOptions = {}) {
    this.defaultRule = options.defaultRule === undefined ? 'default' : options.defaultRule;
    const problems: PolicyProblem[] = [];
    const parsed = this.parsed;
    for (const [name, rule] of Object.entries(rules)) {
      const result = parseRule(rule);
      parsed.set(name, result.node);
      problems.push(...[...result.problems, ...checkProblems(result.node)].map((message) => ({ rule: name, message })));
      const text = typeof rule === 'string' ? rule : ruleText(result.node);
      this.rules.set(name, { name, text, compiled: compileNode(result.node, this.lookup) });
    }
    problems.push(...referenceProblems(parsed, this.defaultRule));
    this.problems = problems;
  }

  has(name: string): boolean {
    return this.rules.has(name);
  }

  ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  /**
   * The target keys a rule reads, through its `rule:` references (and the default rule
   * standing in for undefined ones). The registry uses it to know whether a rule can be
   * decided from the repository alone or needs the artifact (its properties, scan state).
   */
  targetKeys(name: string): ReadonlySet<string> {
    let keys = this.keysByRule.get(name);
    if (!keys) {
      keys = new Set<string>();
      collectTargetKeys(this.parsed, (ruleName) => this.lookup(ruleName)?.name, name, keys);
      this.keysByRule.set(name, keys);
    }
    return keys;
  }

  /** A defined rule by name, else the text as a rule (`role:admin or rule:x`). */
  decide(ruleOrName: string, target: unknown, creds: unknown): Decision {
    const named = this.rules.get(ruleOrName);
    return this.run(named ?? this.expression(ruleOrName), named ? `rule "${ruleOrName}"` : `rule ${ruleOrName}`, target, creds);
  }

  /** A rule by name only, as oslo's `enforce(name)`: an unknown name falls back to the default rule, else denies. */
  decideRule(name: string, target: unknown, creds: unknown): Decision {
    const rule = this.lookup(name);
    if (!rule) return { allowed: false, reason: `no rule named "${name}"` };
    const label = rule.name === name ? `rule "${name}"` : `rule "${name}" (undefined; default rule "${rule.name}")`;
    return this.run(rule, label, target, creds);
  }

  /** Problems of an expression as `decide` would compile it (for `policy eval` to report). */
  expressionProblems(text: string): PolicyProblem[] {
    if (this.rules.has(text)) return [];
    const result = parseTextRule(text);
    return [...result.problems, ...checkProblems(result.node)].map((message) => ({ rule: text, message }));
  }

  private readonly lookup = (name: string): NamedRule | undefined => {
    const rule = this.rules.get(name);
    if (rule || this.defaultRule === null) return rule;
    return this.rules.get(this.defaultRule);
  };

  private expression(text: string): NamedRule {
    let rule = this.expressions.get(text);
    if (!rule) {
      rule = { name: text, text, compiled: compileNode(parseTextRule(text).node, this.lookup) };
      if (this.expressions.size >= expressionCacheSize) this.expressions.clear();
      this.expressions.set(text, rule);
    }
    return rule;
  }

  private run(rule: NamedRule, label: string, target: unknown, creds: unknown): Decision {
    if (!isPlainObject(target) || !isPlainObject(creds)) {
      return { allowed: false, reason: `${label}: the target and the credentials must be JSON objects` };
    }
    const ctx: EvalContext = { target, creds: withSystemScope(creds), depth: 0 };
    try {
      if (rule.compiled.evaluate(ctx)) return { allowed: true, reason: `allowed by ${label}` };
      ctx.depth = 0;
      return { allowed: false, reason: `denied by ${label}: ${rule.compiled.explain(ctx)}` };
    } catch (err) {
      const message = err instanceof PolicyEvaluationError ? err.message : `internal error (${String(err)})`;
      return { allowed: false, reason: `denied by ${label}: cannot be evaluated: ${message}` };
    }
  }
}

/** oslo's enforce() copies a truthy `system_scope` into `system` before checking. */
function withSystemScope(creds: Record<string, unknown>): Record<string, unknown> {
  return pyTruthy(creds['system_scope']) ? { ...creds, system: creds['system_scope'] } : creds;
}

/** Checks whose templates or kinds will raise when evaluated. */
function checkProblems(node: PolicyNode): string[] {
  switch (node.type) {
    case 'role':
      return compileTemplate(node.match).problems.map((p) => `role:${node.match}: ${p}`);
    case 'generic': {
      const kind = classifyKind(node.kind);
      const template = compileTemplate(node.match).problems;
      return [...template, ...(kind.type === 'unsupported' ? [kind.message] : [])].map((p) => `${node.kind}:${node.match}: ${p}`);
    }
    case 'not':
      return checkProblems(node.operand);
    case 'and':
    case 'or':
      return node.operands.flatMap(checkProblems);
    default:
      return [];
  }
}

/** The `%(key)s` of every check reachable from rule `start`; `resolve` maps a name to the rule that answers it. */
function collectTargetKeys(parsed: Map<string, PolicyNode>, resolve: (name: string) => string | undefined, start: string, into: Set<string>): void {
  const seen = new Set<string>();
  const follow = (name: string): void => {
    const resolved = resolve(name);
    if (resolved === undefined || seen.has(resolved)) return;
    seen.add(resolved);
    const node = parsed.get(resolved);
    if (node) visit(node);
  };
  const visit = (node: PolicyNode): void => {
    switch (node.type) {
      case 'role':
      case 'generic':
        for (const key of compileTemplate(node.match).keys) into.add(key);
        return;
      case 'rule':
        return follow(node.name);
      case 'not':
        return visit(node.operand);
      case 'and':
      case 'or':
        return node.operands.forEach(visit);
      default:
        return;
    }
  };
  follow(start);
}

function references(node: PolicyNode): string[] {
  if (node.type === 'rule') return [node.name];
  if (node.type === 'not') return references(node.operand);
  if (node.type === 'and' || node.type === 'or') return node.operands.flatMap(references);
  return [];
}

/** `rule:x` to nothing (false, or the default rule), and cycles (an error when reached). */
function referenceProblems(parsed: Map<string, PolicyNode>, defaultRule: string | null): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const fallback = defaultRule !== null && parsed.has(defaultRule) ? ` (the default rule "${defaultRule}" stands in)` : ' (it is false)';
  for (const [name, node] of parsed) {
    for (const ref of new Set(references(node))) {
      if (!parsed.has(ref)) problems.push({ rule: name, message: `rule:${ref} refers to no rule${fallback}` });
    }
    if (reaches(parsed, name, name)) problems.push({ rule: name, message: 'refers back to itself through rule: references; evaluating it is an error' });
  }
  return problems;
}

function reaches(parsed: Map<string, PolicyNode>, from: string, goal: string, seen = new Set<string>()): boolean {
  const node = parsed.get(from);
  if (!node) return false;
  for (const ref of references(node)) {
    if (ref === goal) return true;
    if (!seen.has(ref)) {
      seen.add(ref);
      if (reaches(parsed, ref, goal, seen)) return true;
    }
  }
  return false;
}
