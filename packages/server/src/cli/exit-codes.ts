/**
 * The one exit-code table of the commands (docs/configuration.md, "Exit codes"); 1, 3 and 4 are
 * the original gregord's.
 */
import { isGregorError } from 'gregor-client/errors';

/** Exit codes of `gregord` and `gregor`. */
export const EXIT_CODE = {
  /** Ran and stopped cleanly (also after SIGTERM/SIGINT, the parent gone in child mode, or --help). */
  ok: 0,
  /** A bad option, value or combination; or a failure that is none of the below. */
  badOption: 1,
  /** The storage, the pub/sub bus or the data directory could not be set up. */
  setup: 3,
  /** An address could not be listened on (in use, not permitted, not local). */
  listen: 4,
  /** The stop was forced: a second signal, or the graceful stop overran its deadline. */
  forced: 5,
} as const;
/** One of {@link EXIT_CODE}. */
export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];

/** Each exit code with its meaning, for `--help` and docs/configuration.md. */
export const EXIT_CODE_TABLE: readonly { readonly code: ExitCode; readonly meaning: string }[] = [
  {
    code: EXIT_CODE.ok,
    meaning: 'stopped cleanly: SIGTERM, SIGINT, the parent gone with --child-mode, or --help',
  },
  {
    code: EXIT_CODE.badOption,
    meaning: 'a bad option, value or combination (the message names them), or another failure',
  },
  {
    code: EXIT_CODE.setup,
    meaning: 'the storage, the pub/sub bus or the data directory could not be set up',
  },
  {
    code: EXIT_CODE.listen,
    meaning: 'an address could not be listened on (in use, not permitted)',
  },
  {
    code: EXIT_CODE.forced,
    meaning:
      'the stop was forced: a second SIGTERM/SIGINT, or the graceful stop did not finish within --shutdown-timeout plus 5 s',
  },
];

/** The exit code for an error that stopped a command. */
export function exitCodeOf(err: unknown): ExitCode {
  if (isGregorError(err, 'GREGOR_ERR_SETUP_FAILED')) return EXIT_CODE.setup;
  if (isGregorError(err, 'GREGOR_ERR_LISTEN_FAILED')) return EXIT_CODE.listen;
  return EXIT_CODE.badOption;
}

/** The table as indented lines, for the end of `--help`. */
export function exitCodeHelp(): string {
  return `\nExit codes:\n${EXIT_CODE_TABLE.map(({ code, meaning }) => `  ${code}  ${meaning}`).join('\n')}\n`;
}
