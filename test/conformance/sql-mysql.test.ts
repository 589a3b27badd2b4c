/**
 * The state-machine conformance suite against the SQL engine on MySQL/MariaDB, in a database of
 * its own that is dropped at the end. Each case opens a fresh engine on it and clears it first.
 */
import { after } from 'node:test';
import { openSqlEngine } from '../../src/storage/index.js';
import { serviceSkipReason } from '../helpers/services.js';
import { mysqlTestDatabase, type TestDatabase } from '../unit/storage/test-databases.js';
import { runStateMachineSuite } from './state-machine-suite.js';

const skip = await serviceSkipReason('mysql');
const db: TestDatabase | undefined =
  skip === undefined ? await mysqlTestDatabase('gregor_conf') : undefined;
if (db !== undefined) after(() => db.drop());

runStateMachineSuite(
  'SqlEngine (MySQL/MariaDB)',
  async (clock) => {
    const engine = await openSqlEngine(db!.url, { clock, poolSize: 4 });
    await engine.clear();
    return engine;
  },
  skip === undefined ? {} : { skip },
);
