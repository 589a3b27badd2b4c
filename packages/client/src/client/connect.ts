/**
 * `connect(url, options)`: the one-call start of the high-level API. This is the browser-safe
 * core; it takes the function that turns a parsed address into a Connector, which the Node entry
 * (connect-node.ts: TCP, TLS and ws) and the browser entry (connect-web.ts: the standard
 * WebSocket) each supply.
 */
import { type GregorError, gregorError } from '../errors.js';
import { type DeviceID, parseDeviceId, parseUid, type UID } from '../protocol/index.js';
import { type GregorAddress, parseGregorUrl, type ReconnectPolicy } from '../rpc/browser.js';
import { type Clock, systemClock } from '../state/index.js';
import { type ClientLogger, silentClientLogger } from './client-logger.js';
import type { Connector, GregorClientOptions, TokenSource } from './client-options.js';
import type { ClientStorage } from './client-storage.js';
import { Gregor } from './gregor.js';
import { GregorClient } from './gregor-client.js';
import { globalTimers, type Timers } from './timers.js';

/** The options of `connect`. */
export interface ConnectOptions {
  /** The user: 32 hex digits (or the UID bytes). */
  uid: string | UID;
  /** The session token, or a function asked for it before each login. */
  token: TokenSource;
  /** Where the items, local dismissals and outbox are saved between runs; none: memory only. */
  storage?: ClientStorage;
  /** When to reconnect after a drop. @default retry for ever, with backoff */
  reconnect?: ReconnectPolicy<GregorError>;
  /** This device (hex or bytes): items for other devices are then hidden. @default none */
  device?: string | DeviceID;
  /**
   * Resolve `connect` only once connected, logged in and synced (true), or as soon as the saved
   * state is loaded, connecting in the background (false: offline-first apps). @default true
   */
  waitForSync?: boolean;
  /** Give up waiting for the first connection (the client is closed). */
  signal?: AbortSignal;
  /** Opens sessions instead of the connector chosen from the URL (a custom transport). */
  connector?: Connector;
  /** Changes a `changes()` reader holds before it overflows. @default 1024 */
  changeBufferSize?: number;
  /** The source of "now" (expiry of items). @default the system clock */
  clock?: Clock;
  /** The timers (outbox period, reconnect delays, write timeouts). @default the global timers */
  timers?: Timers;
  /** Timeout of the login and of each write's consumeMessage call, ms. @default 10000 */
  callTimeoutMs?: number;
  /** Timeout of a sync, ms. @default 10000 */
  syncTimeoutMs?: number;
  /** Period of the outbox's retry pass, ms. @default 60000 */
  outboxIntervalMs?: number;
  /** Structured logger (pino's satisfies it). @default silent */
  logger?: ClientLogger;
}

/** Turns a parsed gregord address into a Connector; throws for a kind the platform lacks. */
export type ConnectorFactory = (address: GregorAddress) => Connector;

function aborted(signal: AbortSignal): Error {
  return gregorError('GREGOR_ERR_ABORTED', 'connect aborted', { cause: signal.reason });
}

/** Wait for `started`, or reject when `signal` aborts first. */
async function startedUnlessAborted(started: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return started;
  let onAbort: (() => void) | undefined;
  const abort = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([started, abort]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * Connect to the gregord at `url` with `connectorFor` (see the entries' `connect`): restore the
 * saved state, then connect, log in and sync. Rejects (and closes) when the first connection
 * cannot be made and the reconnect policy gives up (an auth refusal always does), or on `signal`.
 */
export async function connectWith(
  url: string,
  options: ConnectOptions,
  connectorFor: ConnectorFactory,
): Promise<Gregor> {
  const address = parseGregorUrl(url);
  const { signal } = options;
  if (signal?.aborted) throw aborted(signal);
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? globalTimers;
  const logger = options.logger ?? silentClientLogger;
  const clientOptions: GregorClientOptions = {
    uid: parseUid(options.uid),
    deviceID: options.device === undefined ? null : parseDeviceId(options.device),
    token: options.token,
    connect: options.connector ?? connectorFor(address),
    clock,
    timers,
    logger,
    ...(options.storage === undefined ? {} : { storage: options.storage }),
    ...(options.reconnect === undefined ? {} : { reconnect: options.reconnect }),
    ...(options.callTimeoutMs === undefined ? {} : { callTimeoutMs: options.callTimeoutMs }),
    ...(options.syncTimeoutMs === undefined ? {} : { syncTimeoutMs: options.syncTimeoutMs }),
    ...(options.outboxIntervalMs === undefined
      ? {}
      : { outboxIntervalMs: options.outboxIntervalMs }),
  };
  const client = new GregorClient(clientOptions);
  const g = new Gregor(client, {
    clock,
    timers,
    logger,
    ...(options.changeBufferSize === undefined
      ? {}
      : { changeBufferSize: options.changeBufferSize }),
  });
  try {
    if (options.storage !== undefined) await client.restore();
    await g.refresh();
    const started = client.start();
    if (options.waitForSync === false) return g;
    await startedUnlessAborted(started, signal);
    await g.refresh();
    return g;
  } catch (err) {
    await client.close();
    throw err;
  }
}
