/**
 * The state-machine conformance suite against the SQL engine on SQLite: a temporary file per case,
 * in a directory removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openSqlEngine } from '../../src/storage/index.js';
import { runStateMachineSuite } from './state-machine-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'gregor-sqlite-conformance-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let cases = 0;

runStateMachineSuite('SqlEngine (SQLite file)', (clock) =>
  openSqlEngine(`sqlite:${join(dir, `case-${++cases}.db`)}`, { clock }),
);
