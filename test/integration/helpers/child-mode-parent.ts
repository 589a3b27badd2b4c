/**
 * A parent process for the child-mode tests: it starts gregord with `--child-mode` and the flags
 * it was given, relays gregord's stdout to its own (the test reads gregord's pid and ports from
 * the log lines), and then only waits, to be killed by the test.
 *
 * `GREGOR_TEST_CHILD_STDIN=inherit` hands gregord this process's stdin instead of a pipe of its
 * own, so that something else (the test) still holds gregord's stdin open after this parent dies.
 */
import { spawn } from 'node:child_process';
import { CHILD_NODE_OPTIONS } from '../../helpers/child-env.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const stdin = process.env.GREGOR_TEST_CHILD_STDIN === 'inherit' ? 'inherit' : 'pipe';
const gregord = spawn(
  process.execPath,
  [
    '--import',
    import.meta.resolve('tsx'),
    `${ROOT}packages/server/src/cli/gregord.ts`,
    '--child-mode',
    ...process.argv.slice(2),
  ],
  {
    cwd: ROOT,
    env: { ...process.env, DEBUG: '', NODE_OPTIONS: CHILD_NODE_OPTIONS },
    stdio: [stdin, 'pipe', 'inherit'],
  },
);
gregord.stdout?.pipe(process.stdout);
setInterval(() => undefined, 60_000);
