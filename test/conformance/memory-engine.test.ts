/** Runs the state-machine and local-state conformance suites against the memory engine. */
import { MemoryEngine } from '../../packages/client/src/state/index.js';
import { runLocalStateSuite, runStateMachineSuite } from './state-machine-suite.js';

runStateMachineSuite('MemoryEngine', async (clock) => new MemoryEngine({ clock }));
runLocalStateSuite('MemoryEngine', async (clock) => new MemoryEngine({ clock }));
