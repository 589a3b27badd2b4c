// In this repository gregor-server imports gregor-client by its package name. Each package's
// "exports" has a `gregor-source` condition pointing at its TypeScript source, so that tests,
// benchmarks and `npm start` run the source of both packages through tsx without a build. The
// condition is passed in NODE_OPTIONS, so every node process they spawn (gregord children, CLI
// runs, example programs) resolves the same way.
export const SOURCE_CONDITION = '--conditions=gregor-source';

/** process.env with the source condition added to NODE_OPTIONS (once). */
export function sourceEnv(env = process.env) {
  const options = env.NODE_OPTIONS ?? '';
  if (options.includes(SOURCE_CONDITION)) return env;
  return { ...env, NODE_OPTIONS: `${options} ${SOURCE_CONDITION}`.trim() };
}
