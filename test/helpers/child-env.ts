/**
 * NODE_OPTIONS for the node processes the tests spawn (gregord, the gregor CLI, example programs).
 * It replaces the runner's own options instead of inheriting them, and keeps the one that matters:
 * the `gregor-source` export condition, so that `gregor-client` resolves to its TypeScript source in
 * the child as it does in the test (scripts/source-condition.mjs sets it for the test run).
 */
export const CHILD_NODE_OPTIONS = '--conditions=gregor-source';
