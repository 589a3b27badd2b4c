#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (never in parallel: they measure this machine).
// Usage: node scripts/run-benches.mjs [rpc|storage|pubsub|server|scale|cluster|api|burst|durable|capacity ...]
// Each prints its own figures beside a baseline measured in the same run (docs/benchmarks.md).
import { spawnSync } from 'node:child_process';
import { sourceEnv } from './source-condition.mjs';

const BENCHES = {
  rpc: ['--import', 'tsx', 'bench/rpc-bench.ts'],
  storage: ['--import', 'tsx', 'bench/storage-bench.ts'],
  pubsub: ['--expose-gc', '--import', 'tsx', 'bench/pubsub-bench.ts'],
  server: ['--expose-gc', '--import', 'tsx', 'bench/server-bench.ts'],
  scale: ['--import', 'tsx', 'bench/scale-bench.ts'],
  cluster: ['--import', 'tsx', 'bench/cluster-bench.ts'],
  api: ['--import', 'tsx', 'bench/api-bench.ts'],
  burst: ['--import', 'tsx', 'bench/burst-bench.ts'],
  durable: ['--import', 'tsx', 'bench/durable-bench.ts'],
  capacity: ['--expose-gc', '--import', 'tsx', 'bench/capacity.ts'],
};

const chosen = process.argv.slice(2);
const names = chosen.length > 0 ? chosen : Object.keys(BENCHES);
for (const name of names) {
  const args = BENCHES[name];
  if (args === undefined) {
    console.error(`unknown benchmark ${name}; one of ${Object.keys(BENCHES).join(', ')}`);
    process.exit(1);
  }
  console.log(`\n## ${name}: node ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: sourceEnv() });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
