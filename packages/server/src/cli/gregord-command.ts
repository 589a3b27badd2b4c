/**
 * The `gregord` command line, derived from the option table: every flag, with its
 * variable and default in the help, and nothing else. Commander only splits argv into text; the
 * values are read and checked by parseGregordConfig (the command line parses, zod validates).
 */
import { Command, CommanderError } from 'commander';
import {
  CONFIG_TABLE,
  type ConfigOption,
  OPTION_UNIT,
  type OptionKey,
} from '../daemon/internal.js';
import { EXIT_CODE, exitCodeHelp } from './exit-codes.js';
import { serverPackageVersion, VERSION_FLAGS, VERSION_HELP } from './version.js';

/** The help text of one option: its help, then its variable and default. */
export function optionHelp(row: ConfigOption): string {
  const notes = [
    row.env === null ? 'no variable' : `env ${row.env}`,
    row.defaultText === null ? undefined : `default ${row.defaultText}`,
  ].filter((note) => note !== undefined);
  return `${row.help} [${notes.join('; ')}]`;
}

/** Where commander writes: injectable, so tests read what it printed. */
export interface CommandOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** The `gregord` command: options from the table, no positional arguments, no process.exit. */
export function buildGregordCommand(output?: CommandOutput): Command {
  const command = new Command('gregord')
    .description(
      'Gregor notification-state server (gregor.1 framed msgpack-rpc over TCP/TLS and WebSocket).\n' +
        'Each option can also be set by its environment variable; a flag wins over its variable.',
    )
    .helpOption('-h, --help', 'show this help and exit')
    .version(serverPackageVersion(), VERSION_FLAGS, VERSION_HELP)
    .allowExcessArguments(false)
    .exitOverride()
    .addHelpText('after', exitCodeHelp());
  if (output !== undefined) command.configureOutput(output);
  for (const row of CONFIG_TABLE) {
    const flags =
      row.unit === OPTION_UNIT.switch ? row.flag : `${row.flag} <${row.unit.replace(/ /g, '-')}>`;
    command.option(flags, optionHelp(row));
  }
  return command;
}

/** The outcome of reading argv: the flags, or the exit code when commander already answered. */
export type ParsedArgs =
  | { readonly kind: 'flags'; readonly flags: Partial<Record<OptionKey, string | boolean>> }
  | { readonly kind: 'exit'; readonly exitCode: number };

/**
 * Split `argv` (user arguments, without node and the script) into flags keyed by table key.
 * `--help` and `--version` give exit 0; an unknown option, a missing value or a positional argument gives 1,
 * after commander has printed its message.
 */
export function parseGregordArgs(argv: readonly string[], output?: CommandOutput): ParsedArgs {
  const command = buildGregordCommand(output);
  try {
    command.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { kind: 'exit', exitCode: err.exitCode === 0 ? EXIT_CODE.ok : EXIT_CODE.badOption };
  }
  const given = command.opts();
  const flags: Partial<Record<OptionKey, string | boolean>> = {};
  for (const row of CONFIG_TABLE) {
    const value: unknown = given[row.key];
    if (typeof value === 'string' || value === true) flags[row.key] = value;
  }
  return { kind: 'flags', flags };
}
