import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gregorError } from '../../../packages/client/src/errors.js';
import {
  CONFIGURATION_DOC,
  renderOptionsTable,
  updateConfigurationDoc,
} from '../../../packages/server/src/cli/config-doc.js';
import { EXIT_CODE_TABLE, exitCodeOf } from '../../../packages/server/src/cli/exit-codes.js';
import {
  buildGregordCommand,
  parseGregordArgs,
} from '../../../packages/server/src/cli/gregord-command.js';
import { CONFIG_TABLE } from '../../../packages/server/src/daemon/config-table.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    output: { writeOut: (t: string) => out.push(t), writeErr: (t: string) => err.push(t) },
  };
}

describe('gregord --help', () => {
  const io = capture();
  buildGregordCommand(io.output).configureHelp({ helpWidth: 10_000 }).outputHelp();
  const help = io.out.join('');
  const lines = help.split('\n');

  for (const row of CONFIG_TABLE) {
    it(`lists ${row.flag} with its variable and default`, () => {
      const line = lines.find(
        (l) => l.trimStart().startsWith(`${row.flag} `) || l.trim() === row.flag,
      );
      assert.ok(line, `${row.flag} is missing from --help`);
      assert.ok(line.includes(row.help), `${row.flag}: help text`);
      if (row.env !== null) assert.ok(line.includes(`env ${row.env}`), `${row.flag}: ${row.env}`);
      if (row.defaultText !== null) {
        assert.ok(
          line.includes(`default ${row.defaultText}`),
          `${row.flag}: default ${row.defaultText}`,
        );
      }
    });
  }

  it('lists every exit code', () => {
    for (const { code, meaning } of EXIT_CODE_TABLE)
      assert.ok(help.includes(`${code}  ${meaning}`));
  });
});

describe('parseGregordArgs', () => {
  it('keys given flags by option, with switches as true, and leaves out the rest', () => {
    const parsed = parseGregordArgs([
      '--bind-address',
      '127.0.0.1:0',
      '--debug',
      '--storage=memory:',
    ]);
    assert.deepEqual(parsed, {
      kind: 'flags',
      flags: { bindAddress: '127.0.0.1:0', debug: true, storage: 'memory:' },
    });
  });

  it('answers --help with exit 0', () => {
    const io = capture();
    assert.deepEqual(parseGregordArgs(['--help'], io.output), { kind: 'exit', exitCode: 0 });
    assert.match(io.out.join(''), /--bind-address/);
  });

  it('refuses a positional argument, an unknown option and a missing value with exit 1', () => {
    for (const argv of [['serve'], ['--bogus'], ['--bind-address']]) {
      const io = capture();
      assert.deepEqual(
        parseGregordArgs(argv, io.output),
        { kind: 'exit', exitCode: 1 },
        argv.join(' '),
      );
      assert.match(io.err.join(''), /error:/, argv.join(' '));
    }
  });
});

describe('exit codes', () => {
  it('maps setup failures to 3, listen failures to 4, bad options and anything else to 1', () => {
    assert.equal(exitCodeOf(gregorError('GREGOR_ERR_SETUP_FAILED')), 3);
    assert.equal(exitCodeOf(gregorError('GREGOR_ERR_LISTEN_FAILED')), 4);
    assert.equal(exitCodeOf(gregorError('GREGOR_ERR_CONFIG_INVALID')), 1);
    assert.equal(exitCodeOf(new Error('boom')), 1);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync(CONFIGURATION_DOC, 'utf8');

  it('holds the current generated tables (else: npm run config-doc --write)', () => {
    assert.equal(updateConfigurationDoc(doc), doc);
  });

  it('documents each option of the table with its variable, default and unit, and no other', () => {
    const rows = [
      ...doc.matchAll(/^\| `(--[a-z-]+)` \| (`[A-Z_]+`|—) \| (`[^`]+`|—) \| ([^|]+) \|/gm),
    ].map((m) => [m[1], m[2]?.replace(/`/g, ''), m[3]?.replace(/`/g, ''), m[4]?.trim()]);
    const expected = CONFIG_TABLE.map((row) => [
      row.flag,
      row.env ?? '—',
      row.defaultText ?? '—',
      row.unit,
    ]);
    assert.deepEqual(rows, expected);
    assert.ok(doc.includes(renderOptionsTable()));
  });

  it('documents every exit code', () => {
    for (const { code, meaning } of EXIT_CODE_TABLE)
      assert.ok(doc.includes(`| ${code} | ${meaning} |`));
  });
});
