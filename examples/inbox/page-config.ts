/**
 * What the page asks its web server for, instead of carrying any address or secret itself:
 * `GET /config.json` (where to connect, as whom) and `GET /token` (a fresh session token, asked
 * before each login, the way a real application's back end hands tokens to its signed-in users).
 */

export interface PageConfig {
  /** gregord's WebSocket endpoint, e.g. ws://127.0.0.1:9912/rpc. */
  readonly url: string;
  /** The signed-in user, 32 hex digits. */
  readonly uid: string;
  /** How long the Snooze button snoozes an item, ms. */
  readonly snoozeMs: number;
}

export const CONFIG_PATH = '/config.json';
export const TOKEN_PATH = '/token';
