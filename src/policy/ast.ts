// The parsed form of an oslo.policy rule: the same tree oslo builds from its Check classes.

export type PolicyNode =
  | { type: 'true' }
  /** `!`, and every check oslo fails closed on (`source` names it, for reasons). */
  | { type: 'false'; source?: string }
  | { type: 'role'; match: string }
  | { type: 'rule'; name: string }
  | { type: 'generic'; kind: string; match: string }
  /** `http:`/`https:` checks call out to a server in oslo; scangate refuses them. */
  | { type: 'external'; kind: string; match: string }
  | { type: 'not'; operand: PolicyNode }
  | { type: 'and'; operands: PolicyNode[] }
  | { type: 'or'; operands: PolicyNode[] }
  /** A rule that oslo "parses" into something that raises when evaluated (a lone `and`). */
  | { type: 'broken'; message: string };

export interface ParsedRule {
  node: PolicyNode;
  /** What is wrong with the rule, in words; empty when it is sound. */
  problems: string[];
}

/** oslo's `str(check)`: the canonical text of a tree, used in reasons. */
export function ruleText(node: PolicyNode): string {
  switch (node.type) {
    case 'true':
      return '@';
    case 'false':
      return node.source ?? '!';
    case 'role':
      return `role:${node.match}`;
    case 'rule':
      return `rule:${node.name}`;
    case 'generic':
    case 'external':
      return `${node.kind}:${node.match}`;
    case 'not':
      return `not ${ruleText(node.operand)}`;
    case 'and':
    case 'or':
      return `(${node.operands.map(ruleText).join(` ${node.type} `)})`;
    case 'broken':
      return '<broken>';
  }
}
