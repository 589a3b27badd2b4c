/**
 * The one parser of gregord addresses, shared by the client, the command line and the server
 * configuration. Browser-safe: it uses only the standard URL class.
 *
 * Accepted forms:
 * - `host:port` and `fmprpc://host:port`: framed msgpack-rpc over TCP;
 * - `fmprpc+tls://host:port`: the same over TLS;
 * - `ws://host[:port][/path]` and `wss://…`: gregord's WebSocket endpoint. A URL without a path
 *   gets gregord's `/rpc`.
 * An IPv6 host is written in brackets (`[::1]:9911`) and parsed without them.
 */
import { gregorError } from '../errors.js';

/** The path of gregord's WebSocket endpoint, used when a ws:// URL names none. */
export const GREGOR_WS_PATH = '/rpc';

/** A parsed gregord address. */
export type GregorAddress =
  /** Framed msgpack-rpc over TCP (`tls`: over TLS). */
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean }
  /** gregord's WebSocket endpoint: the full URL to open (`tls` for wss://). */
  | { readonly kind: 'websocket'; readonly url: string; readonly tls: boolean };

const TCP_FORM = /^(?:(fmprpc|fmprpc\+tls):\/\/)?(\[[^\]]+\]|[^:/[\]@?#\s]+):(\d{1,5})$/;
const EXPECTED =
  'expected host:port, fmprpc://host:port, fmprpc+tls://host:port, ws://host:port/rpc or wss://…';

function invalidAddress(address: string, why: string): Error {
  return gregorError(
    'GREGOR_ERR_CONFIG_INVALID',
    `invalid gregord address ${JSON.stringify(address)}: ${why}`,
  );
}

function parseWebSocketUrl(address: string): GregorAddress {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalidAddress(address, 'not a URL');
  }
  if (url.hostname === '') throw invalidAddress(address, 'no host');
  if (url.username !== '' || url.password !== '') {
    throw invalidAddress(address, 'credentials do not belong in the URL; pass a token');
  }
  if (url.hash !== '') throw invalidAddress(address, 'a WebSocket URL has no #fragment');
  if (url.pathname === '' || url.pathname === '/') url.pathname = GREGOR_WS_PATH;
  return { kind: 'websocket', url: url.toString(), tls: url.protocol === 'wss:' };
}

/**
 * Parse a gregord address (see the accepted forms above). Throws GREGOR_ERR_CONFIG_INVALID,
 * quoting the address and saying what was expected, on anything else.
 */
export function parseGregorUrl(address: string): GregorAddress {
  if (typeof address !== 'string') throw invalidAddress(String(address), EXPECTED);
  const trimmed = address.trim();
  if (/^wss?:\/\//i.test(trimmed)) return parseWebSocketUrl(trimmed);
  const match = TCP_FORM.exec(trimmed);
  if (match === null) throw invalidAddress(address, EXPECTED);
  const port = Number(match[3]);
  // Port 0 names no peer: these are addresses to dial (gregord's listen addresses are its own).
  if (port === 0 || port > 65_535) {
    throw invalidAddress(address, `port ${port} is out of range (1–65535)`);
  }
  const host = match[2]!.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalidAddress(address, 'no host');
  return { kind: 'tcp', host, port, tls: match[1] === 'fmprpc+tls' };
}
