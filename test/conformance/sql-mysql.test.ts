/**
 * The state-machine conformance suite against the SQL engine on MySQL/MariaDB, in a database of its own that
 * is dropped at the end. Each case opens a fresh engine on it and clears it first.
 */
import { after } from 'node:test';
import { sqlConformanceTarget } from '../unit/storage/storage-places.js';
import { runStateMachineSuite } from './state-machine-suite.js';

const target = await sqlConformanceTarget('mysql', after);
runStateMachineSuite('SqlEngine (MySQL/MariaDB)', target.makeEngine, target.options);
