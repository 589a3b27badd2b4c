#!/usr/bin/env node
// Runs the slow reliability scenarios of test/reliability/ one after another (never in parallel:
// several measure this machine), outside `npm test`. Each prints its figures and a PASS/FAIL
// line; this exits non-zero if any failed. Flags after a scenario's name go to that scenario.
// Usage: node scripts/run-reliability.mjs [name [--flag value ...] ...]
//   e.g. node scripts/run-reliability.mjs sigkill-loop --cycles 10 fuzz-frames --frames 20000
// Results and what each proves: docs/reliability.md.
import { spawnSync } from 'node:child_process';
import { sourceEnv } from './source-condition.mjs';

const SCENARIOS = ['sigkill-loop', 'database-faults', 'redis-faults', 'fuzz-frames', 'soak'];

const runs = [];
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith('--')) {
    if (runs.length === 0) {
      console.error(`flag ${arg} before any scenario name`);
      process.exit(1);
    }
    runs.at(-1).args.push(arg);
  } else if (SCENARIOS.includes(arg)) {
    runs.push({ name: arg, args: [] });
  } else if (runs.length > 0 && runs.at(-1).args.at(-1)?.startsWith('--')) {
    runs.at(-1).args.push(arg);
  } else {
    console.error(`unknown scenario ${arg}; one of ${SCENARIOS.join(', ')}`);
    process.exit(1);
  }
}
if (runs.length === 0) runs.push(...SCENARIOS.map((name) => ({ name, args: [] })));

const results = [];
for (const { name, args } of runs) {
  const file = `test/reliability/${name}.ts`;
  console.log(`\n## ${name}: node --import tsx ${file} ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: 'inherit',
    env: sourceEnv(),
  });
  results.push({ name, passed: result.status === 0 });
}
console.log('\n## summary');
for (const { name, passed } of results) console.log(`${passed ? 'PASS' : 'FAIL'} ${name}`);
process.exit(results.every((r) => r.passed) ? 0 : 1);
