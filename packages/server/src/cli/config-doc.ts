/**
 * docs/configuration.md's generated tables: every gregord option (from the option table) and the
 * exit codes. The rest of that file is prose; the tables sit between BEGIN/END markers and are
 * rewritten by `npm run config-doc`. A test fails when they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_TABLE } from '../daemon/internal.js';
import { EXIT_CODE_TABLE } from './exit-codes.js';

/** The file the tables live in. */
export const CONFIGURATION_DOC = fileURLToPath(
  new URL('../../../../docs/configuration.md', import.meta.url),
);

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string | null): string => (text === null ? '—' : `\`${cell(text)}\``);

/** The options as a markdown table. */
export function renderOptionsTable(): string {
  const rows = CONFIG_TABLE.map(
    (row) =>
      `| \`${row.flag}\` | ${code(row.env)} | ${code(row.defaultText)} | ${row.unit} | ${cell(row.help)} |`,
  );
  return ['| flag | variable | default | unit | meaning |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** The exit codes as a markdown table. */
export function renderExitCodeTable(): string {
  const rows = EXIT_CODE_TABLE.map(({ code: exit, meaning }) => `| ${exit} | ${cell(meaning)} |`);
  return ['| code | meaning |', '|---|---|', ...rows].join('\n');
}

const BLOCKS = { options: renderOptionsTable, 'exit-codes': renderExitCodeTable } as const;

/** `text` with each generated block replaced by its current rendering. */
export function updateConfigurationDoc(text: string): string {
  let result = text;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const begin = `<!-- BEGIN GENERATED: ${name} (do not edit; run npm run config-doc) -->`;
    const end = `<!-- END GENERATED: ${name} -->`;
    const from = result.indexOf(begin);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`${CONFIGURATION_DOC}: missing the ${name} markers`);
    result = `${result.slice(0, from + begin.length)}\n${render()}\n${result.slice(to)}`;
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const current = readFileSync(CONFIGURATION_DOC, 'utf8');
  const updated = updateConfigurationDoc(current);
  if (process.argv.includes('--write')) {
    writeFileSync(CONFIGURATION_DOC, updated);
  } else if (updated !== current) {
    process.stderr.write(`${CONFIGURATION_DOC} is out of date: run npm run config-doc\n`);
    process.exitCode = 1;
  }
}
