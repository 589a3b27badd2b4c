#!/usr/bin/env node
/**
 * `gregor`: a small admin and client command for gregord.
 *
 *   gregor token --uid HEX [--sid S] [--ttl 24h] [--username NAME] [--secret TEXT | --data-dir DIR]
 *   gregor ping  [--address ADDRESS] [--tls] [--ca FILE]
 *   gregor state --token TOKEN [--uid HEX] [--address ADDRESS] [--tls] [--ca FILE]
 *   gregor add --token TOKEN --category C --body TEXT [--expire-in 1h] [--remind-in 5m]
 *   gregor dismiss --token TOKEN --id HEX [--id HEX …]
 *   gregor watch --token TOKEN [--reconnect N|forever]
 *   gregor reminders --token SUPERUSER-TOKEN [--max N] [--delete]
 *   gregor revoke --token SUPERUSER-TOKEN [--session TOKEN …] [--sid ID …] [--uid HEX …]
 *
 * ADDRESS is host:port, fmprpc://…, fmprpc+tls://…, ws://host:port/rpc or wss://….
 * Each subcommand: commander splits argv, a zod schema reads and checks the values (a bad one is
 * named by its flag, exit 1), then one library call.
 */
import { Command, CommanderError } from 'commander';
import { gregorError } from 'gregor-client/errors';
import { SUPER_UID, toHex, type UID } from 'gregor-client/protocol';
import { mintToken } from '../auth/index.js';
import { readTokenSecretFile } from '../daemon/internal.js';
import { EXIT_CODE, exitCodeHelp, exitCodeOf } from './exit-codes.js';
import { GregorAdminClient, toJson } from './gregor-client.js';
import { stateWithTimes } from './gregor-events.js';
import { addItem, dismissItems, pullReminders } from './gregor-items.js';
import {
  type ConnectFlags,
  DEFAULT_WATCH_RECONNECT_ATTEMPTS,
  readAddOptions,
  readConnectOptions,
  readDismissOptions,
  readOptions,
  readRemindersOptions,
  readRevokeOptions,
  readSessionOptions,
  readWatchOptions,
  secretSource,
  tokenSchema,
} from './gregor-options.js';
import { revokeSessions } from './gregor-revoke.js';
import { watch } from './gregor-watch.js';
import { serverPackageVersion, VERSION_FLAGS, VERSION_HELP } from './version.js';

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

async function token(raw: Record<string, unknown>): Promise<void> {
  const o = readOptions(tokenSchema, raw);
  const source = secretSource(o, process.env);
  const secret =
    'secret' in source ? source.secret : (await readTokenSecretFile(source.file)).secret;
  const claims = { uid: o.superuser ? SUPER_UID : (o.uid as UID), ttlMs: o.ttlMs };
  out(
    mintToken(
      {
        ...claims,
        ...(o.sid ? { sid: o.sid } : {}),
        ...(o.username ? { username: o.username } : {}),
      },
      secret,
    ),
  );
}

async function withClient<T>(
  flags: ConnectFlags,
  run: (client: GregorAdminClient) => Promise<T>,
): Promise<T> {
  const client = await GregorAdminClient.connect(flags.target);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

async function ping(raw: Record<string, unknown>): Promise<void> {
  out(await withClient(readConnectOptions(raw, process.env), (client) => client.call('ping', {})));
}

async function state(raw: Record<string, unknown>): Promise<void> {
  const o = readSessionOptions(raw, process.env);
  const result = await withClient(o, async (client) => {
    const session = await client.call('authenticateSessionToken', { session: o.token });
    const uid = o.uid ?? session.uid;
    const timeOrOffset = { time: 0, offset: 0 };
    return {
      uid: toHex(uid),
      state: stateWithTimes(await client.call('state', { uid, deviceid: null, timeOrOffset })),
    };
  });
  out(toJson(result));
}

function watchUntilInterrupted(raw: Record<string, unknown>): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const notify = (text: string): void => {
    process.stderr.write(`gregor: ${text}\n`);
  };
  return watch(readWatchOptions(raw, process.env), out, stop.signal, notify).finally(() => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  });
}

function sessionOptions(command: Command): Command {
  return connectOptions(command)
    .option('--token <token>', 'session token to log in with [env GREGOR_TOKEN]')
    .option('--uid <hex>', "whose items (superuser only) [default the token's user]");
}

function connectOptions(command: Command): Command {
  return command
    .option(
      '--address <url>',
      'gregord: host:port, fmprpc://host:port, fmprpc+tls://host:port, ws://host:port/rpc or wss://… [env GREGOR_ADDRESS; default 127.0.0.1:9911]',
    )
    .option('--tls', 'TLS to a host:port or fmprpc:// address (same as fmprpc+tls://)')
    .option('--ca <path>', 'over TLS: a CA certificate to trust (e.g. a self-signed server)')
    .option('--timeout <duration>', 'connect and call timeout [default 10s]');
}

function program(run: (action: Promise<void>) => void): Command {
  const root = new Command('gregor')
    .description('Admin and client commands for gregord.')
    .version(serverPackageVersion(), VERSION_FLAGS, VERSION_HELP)
    .exitOverride()
    .addHelpText('after', exitCodeHelp());
  root
    .command('token')
    .description('mint a signed session token (for gregord run with signed tokens)')
    .option('--uid <hex>', 'the user id, in hex')
    .option('--superuser', 'mint a superuser token (may act for any uid and call gregor.1.remind)')
    .option('--sid <id>', 'session id, [A-Za-z0-9_-]{1,64} [default random]')
    .option('--ttl <duration>', 'lifetime [default 24h]')
    .option('--username <name>', 'username reported by the login [default empty]')
    .option('--secret <text>', 'the shared secret [env GREGOR_TOKEN_SECRET]')
    .option(
      '--data-dir <path>',
      "read the secret from <path>/token-secret, gregord's generated one [env GREGOR_DATA_DIR; default ./data]",
    )
    .action((opts: Record<string, unknown>) => run(token(opts)));
  connectOptions(
    root.command('ping').description('call gregor.1.incoming.ping; prints the answer'),
  ).action((opts: Record<string, unknown>) => run(ping(opts)));
  sessionOptions(
    root
      .command('state')
      .description(
        "log in with a token and print a user's state as JSON; each item gets its ctime, expireAt and remindAt as ISO 8601 instants",
      ),
  ).action((opts: Record<string, unknown>) => run(state(opts)));
  sessionOptions(root.command('add').description('create an item; prints its msgID in hex'))
    .requiredOption('--category <name>', 'the item category, e.g. app.notice')
    .requiredOption('--body <text>', 'the item body (UTF-8 text)')
    .option('--expire-in <duration>', 'dismiss it automatically this long after its creation')
    .option('--remind-in <duration>', 'a reminder due this long after its creation')
    .action((opts: Record<string, unknown>) =>
      run(addItem(readAddOptions(opts, process.env), out)),
    );
  sessionOptions(root.command('dismiss').description('dismiss items by msgID'))
    .requiredOption('--id <hex...>', 'msgID of an item to dismiss (repeatable)')
    .action((opts: Record<string, unknown>) =>
      run(dismissItems(readDismissOptions(opts, process.env))),
    );
  sessionOptions(
    root
      .command('watch')
      .description(
        'print the user\'s changes as JSON Lines until interrupted (Ctrl-C): {"event":"item"|"dismiss"|"oob"|"status",…}; reconnects after a drop and prints what it missed; exits 1 once it gives up reconnecting',
      ),
  )
    .option(
      '--reconnect <attempts>',
      `reconnect attempts in a row after a drop, with backoff, before giving up (0: none), or "forever" [default ${DEFAULT_WATCH_RECONNECT_ATTEMPTS}]`,
    )
    .action((opts: Record<string, unknown>) => run(watchUntilInterrupted(opts)));
  sessionOptions(
    root.command('reminders').description('pull due reminders as JSON (superuser token)'),
  )
    .option('--max <n>', 'at most this many, 1 to 1000 [default 100]')
    .option('--delete', 'delete the printed reminders (otherwise they come back after the lock)')
    .action((opts: Record<string, unknown>) =>
      run(pullReminders(readRemindersOptions(opts, process.env), out)),
    );
  connectOptions(
    root
      .command('revoke')
      .description(
        'revoke sessions on every gregord of the cluster (superuser token): their connections close and their tokens are refused',
      ),
  )
    .option('--token <token>', 'a superuser token to log in with [env GREGOR_TOKEN]')
    .option('--session <token...>', 'a session token to revoke (repeatable)')
    .option('--sid <id...>', 'a session id to revoke (repeatable)')
    .option('--uid <hex...>', 'revoke every session of this user issued before now (repeatable)')
    .action((opts: Record<string, unknown>) =>
      run(revokeSessions(readRevokeOptions(opts, process.env), out)),
    );
  for (const sub of root.commands) sub.exitOverride().allowExcessArguments(false);
  return root;
}

async function main(): Promise<number> {
  let action: Promise<void> | undefined;
  try {
    program((p) => {
      action = p;
    }).parse(process.argv.slice(2), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version answer 0; a missing subcommand (help shown as an error) or a bad option, 1.
      return err.exitCode === 0 ? EXIT_CODE.ok : EXIT_CODE.badOption;
    }
    throw err;
  }
  if (action === undefined)
    throw gregorError(
      'GREGOR_ERR_INPUT_INVALID',
      'no subcommand given (token, ping, state, add, dismiss, watch, reminders or revoke)',
    );
  await action;
  return EXIT_CODE.ok;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gregor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(exitCodeOf(err));
  },
);
