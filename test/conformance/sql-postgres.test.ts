/**
 * The state-machine conformance suite against the SQL engine on PostgreSQL, in a schema of its own that
 * is dropped at the end. Each case opens a fresh engine on it and clears it first.
 */
import { after } from 'node:test';
import { sqlConformanceTarget } from '../unit/storage/storage-places.js';
import { runStateMachineSuite } from './state-machine-suite.js';

const target = await sqlConformanceTarget('postgres', after);
runStateMachineSuite('SqlEngine (PostgreSQL)', target.makeEngine, target.options);
