/**
 * The retention conformance suite against the SQL engine on MySQL/MariaDB, in a place of its own that is
 * dropped at the end. Each case opens a fresh engine on it and clears it first.
 */
import { after } from 'node:test';
import { sqlConformanceTarget } from '../unit/storage/storage-places.js';
import { type RetainingEngine, runRetentionSuite } from './retention-suite.js';

const target = await sqlConformanceTarget('mysql', after);
runRetentionSuite(
  'SqlEngine (MySQL/MariaDB)',
  (clock) => target.makeEngine(clock) as Promise<RetainingEngine>,
  target.options,
);
