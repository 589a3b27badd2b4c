/**
 * The `gregor` command's `--address`: the URLs the client library takes, `host:port`,
 * `fmprpc://`, `fmprpc+tls://`, `ws://` and `wss://` (a WebSocket URL without a path gets
 * gregord's `/rpc`). TCP forms go through gregor-client's parser, so the command and the library
 * accept the same addresses.
 */
import { parseGregorAddress } from 'gregor-client';
import { gregorError } from 'gregor-client/errors';

/** The default WebSocket path of gregord's HTTP listener. */
const WS_PATH = '/rpc';

/** Where to connect: framed msgpack-rpc over TCP (TLS), or gregord's WebSocket endpoint. */
export type GregorAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean }
  | { readonly kind: 'websocket'; readonly url: string; readonly tls: boolean };

/** Parse one address; throws GREGOR_ERR_CONFIG_INVALID saying what was expected. */
export function parseCommandAddress(text: string): GregorAddress {
  if (/^wss?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw gregorError(
        'GREGOR_ERR_CONFIG_INVALID',
        `invalid WebSocket URL ${JSON.stringify(text)}`,
      );
    }
    if (url.pathname === '' || url.pathname === '/') url.pathname = WS_PATH;
    return { kind: 'websocket', url: url.toString(), tls: url.protocol === 'wss:' };
  }
  try {
    const { host, port, isTls } = parseGregorAddress(text);
    return { kind: 'tcp', host, port, tls: isTls };
  } catch {
    throw gregorError(
      'GREGOR_ERR_CONFIG_INVALID',
      `invalid gregord address ${JSON.stringify(text)}: expected host:port, fmprpc://host:port, fmprpc+tls://host:port, ws://host:port/rpc or wss://…`,
    );
  }
}
