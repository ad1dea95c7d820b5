// The policy module's surface: load rules (defaults + an oslo-style file), decide. Only
// what callers outside src/policy use; the module's own tests import its files directly.
export { PolicyEngine, type Decision, type PolicyProblem } from './engine.js';
export { defaultsYaml } from './defaults.js';
export { loadPolicy, policyWithDefaults } from './policy-file.js';
export { buildTarget, type ArtifactFacts, type ScanState, type VulnerabilityCounts } from './target.js';
