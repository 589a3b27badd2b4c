/**
 * The state-machine conformance suite against the SQL engine on MySQL/MariaDB, in a database of
 * its own that is dropped at the end. Each case opens a fresh engine on it and clears it first.
 */
import { after } from 'node:test';
import { openSqlEngine } from '../../src/storage/index.js';
import { openStoragePlace, STORAGE_SKIPS } from '../unit/storage/storage-places.js';
import { runStateMachineSuite } from './state-machine-suite.js';

const skip = STORAGE_SKIPS.mysql;
const place = skip === undefined ? await openStoragePlace('mysql', 'gregor_conf') : undefined;
if (place !== undefined) after(() => place.drop());

runStateMachineSuite(
  'SqlEngine (MySQL/MariaDB)',
  async (clock) => {
    const engine = await openSqlEngine(place!.url, { ...place!.options, clock, poolSize: 4 });
    await engine.clear();
    return engine;
  },
  skip === undefined ? {} : { skip },
);
