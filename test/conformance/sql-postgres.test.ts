/**
 * The state-machine conformance suite against the SQL engine on PostgreSQL, in a schema of its own
 * that is dropped at the end. Each case opens a fresh engine on it and clears it first.
 */
import { after } from 'node:test';
import { openSqlEngine } from '../../src/storage/index.js';
import { serviceSkipReason } from '../helpers/services.js';
import { postgresTestDatabase } from '../unit/storage/test-databases.js';
import { runStateMachineSuite } from './state-machine-suite.js';

const skip = await serviceSkipReason('postgres');
const db = postgresTestDatabase('gregor_conf');
if (skip === undefined) after(() => db.drop());

runStateMachineSuite(
  'SqlEngine (PostgreSQL)',
  async (clock) => {
    const engine = await openSqlEngine(db.url, { clock, schema: db.schema, poolSize: 4 });
    await engine.clear();
    return engine;
  },
  skip === undefined ? {} : { skip },
);
