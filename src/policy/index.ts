// The policy module's surface: load rules (defaults + an oslo-style file), decide.
export { PolicyEngine, type Decision, type PolicyEngineOptions, type PolicyProblem } from './engine.js';
export { defaultRuleMap, defaultRules, defaultsYaml, type DefaultRule } from './defaults.js';
export { loadPolicy, parsePolicyText, policyWithDefaults, PolicyFileError, readPolicyFile } from './policy-file.js';
export { buildTarget, type ArtifactFacts, type ScanState, type VulnerabilityCounts } from './target.js';
export { parseRule, parseTextRule } from './parser.js';
export { ruleText, type ParsedRule, type PolicyNode } from './ast.js';
