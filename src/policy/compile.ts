// Turns a parsed rule into closures, once per rule set, so a decision is a few function
// calls. Each node also gets an `explain` that says why it came out false, in rule text
// only (never a target or credential value), called only for denials.
import { ruleText, type PolicyNode } from './ast.js';
import { classifyKind } from './check-kind.js';
import { isPlainObject, pyStr } from './python-values.js';
import { compileTemplate, MISSING, PolicyEvaluationError } from './template.js';

export interface EvalContext {
  readonly target: Record<string, unknown>;
  readonly creds: Record<string, unknown>;
  /** How many `rule:` references deep the evaluation is (cycles end as errors). */
  depth: number;
  /** creds.roles, lower-cased, computed on the first role check of a decision. */
  roles?: readonly string[];
}

export interface CompiledNode {
  evaluate(ctx: EvalContext): boolean;
  /** Why `evaluate` returned false. */
  explain(ctx: EvalContext): string;
}

/** Finds a rule by name for `rule:NAME`, with oslo's default-rule fallback. */
export type RuleLookup = (name: string) => { name: string; compiled: CompiledNode } | undefined;

const maxRuleDepth = 100;

export function compileNode(node: PolicyNode, lookup: RuleLookup): CompiledNode {
  switch (node.type) {
    case 'true':
      return { evaluate: () => true, explain: () => '@' };
    case 'false':
      return { evaluate: () => false, explain: () => ruleText(node) };
    case 'role':
      return compileRole(node.match);
    case 'generic':
      return compileGeneric(node.kind, node.match);
    case 'rule':
      return compileRuleReference(node.name, lookup);
    case 'not':
      return compileNot(compileNode(node.operand, lookup), ruleText(node.operand));
    case 'and':
      return compileAnd(node.operands.map((operand) => compileNode(operand, lookup)));
    case 'or':
      return compileOr(node.operands.map((operand) => compileNode(operand, lookup)));
    case 'external':
    case 'broken': {
      const message = node.type === 'broken' ? node.message : `${node.kind}: checks are not supported`;
      return { evaluate: () => raise(message), explain: () => message };
    }
  }
}

function raise(message: string): never {
  throw new PolicyEvaluationError(message);
}

function compileRole(match: string): CompiledNode {
  const template = compileTemplate(match);
  const text = `role:${match}`;
  return {
    evaluate(ctx) {
      const role = template.render(ctx.target);
      if (role === MISSING || !Object.hasOwn(ctx.creds, 'roles')) return false;
      ctx.roles ??= lowerRoles(ctx.creds['roles']);
      return ctx.roles.includes(role.toLowerCase());
    },
    explain: () => text,
  };
}

/** Python iterates whatever `roles` is (a str gives its characters) and calls .lower(). */
function lowerRoles(roles: unknown): readonly string[] {
  const items = typeof roles === 'string' ? [...roles] : Array.isArray(roles) ? roles : isPlainObject(roles) ? Object.keys(roles) : undefined;
  if (!items) throw new PolicyEvaluationError('the credentials\' roles are not a list');
  return items.map((role: unknown) => {
    if (typeof role !== 'string') throw new PolicyEvaluationError('the credentials\' roles hold something that is not a string');
    return role.toLowerCase();
  });
}

function compileGeneric(kindText: string, match: string): CompiledNode {
  const template = compileTemplate(match);
  const kind = classifyKind(kindText);
  const text = `${kindText}:${match}`;
  const compare =
    kind.type === 'literal'
      ? (value: string) => value === kind.text
      : kind.type === 'path'
        ? (value: string, ctx: EvalContext) => findInCreds(ctx.creds, kind.segments, 0, value)
        : () => raise(kind.message);
  return {
    evaluate(ctx) {
      const value = template.render(ctx.target);
      return value !== MISSING && compare(value, ctx);
    },
    explain: () => text,
  };
}

/** oslo's `_find_in_dict`: walk dicts by key; a list on the way matches if any item does. */
function findInCreds(node: unknown, segments: readonly string[], index: number, match: string): boolean {
  if (index === segments.length) return match === pyStr(node);
  if (!isPlainObject(node)) throw new PolicyEvaluationError(`credentials path ${segments.join('.')} goes through something that is not a mapping`);
  const key = segments[index] ?? '';
  if (!Object.hasOwn(node, key)) return false;
  const value = node[key];
  if (Array.isArray(value)) return value.some((item) => findInCreds(item, segments, index + 1, match));
  return findInCreds(value, segments, index + 1, match);
}

function compileRuleReference(name: string, lookup: RuleLookup): CompiledNode {
  const evaluate = (ctx: EvalContext): boolean => {
    const rule = lookup(name);
    if (!rule) return false;
    if (ctx.depth >= maxRuleDepth) raise(`rule:${name} is nested more than ${maxRuleDepth} deep (a cycle?)`);
    ctx.depth++;
    try {
      return rule.compiled.evaluate(ctx);
    } finally {
      ctx.depth--;
    }
  };
  const explain = (ctx: EvalContext): string => {
    const rule = lookup(name);
    if (!rule) return `rule:${name} (no such rule)`;
    const via = rule.name === name ? '' : ` (undefined; default rule "${rule.name}")`;
    return `rule:${name}${via} -> ${rule.compiled.explain(ctx)}`;
  };
  return { evaluate, explain };
}

function compileNot(operand: CompiledNode, operandText: string): CompiledNode {
  return { evaluate: (ctx) => !operand.evaluate(ctx), explain: () => `not ${operandText} (it holds)` };
}

function compileAnd(operands: CompiledNode[]): CompiledNode {
  return {
    evaluate(ctx) {
      for (const operand of operands) if (!operand.evaluate(ctx)) return false;
      return true;
    },
    explain(ctx) {
      const failing = operands.find((operand) => !operand.evaluate(ctx));
      return failing ? failing.explain(ctx) : '(and)';
    },
  };
}

function compileOr(operands: CompiledNode[]): CompiledNode {
  return {
    evaluate(ctx) {
      for (const operand of operands) if (operand.evaluate(ctx)) return true;
      return false;
    },
    explain: (ctx) => `none of [${operands.map((operand) => operand.explain(ctx)).join('; ')}]`,
  };
}
