/** The retention conformance suite against the memory engine. */
import { MemoryEngine } from '../../packages/client/src/state/index.js';
import { runRetentionSuite } from './retention-suite.js';

runRetentionSuite('MemoryEngine', async (clock) => new MemoryEngine({ clock }));
