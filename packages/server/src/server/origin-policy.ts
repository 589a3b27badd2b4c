/**
 * Which web pages may open a WebSocket session (the Origin rule of `--ws-allowed-origins`).
 * Browsers send the page's origin with every upgrade, and a page of any site can try to reach
 * any address the browser can, loopback included; a session needs a token, except under
 * `--mock-auth`, where reaching the listener is enough to be anyone.
 *
 * Allowed: the origins listed (`*` for any); the listener's own origin (its host and port, or a
 * loopback name and its port when it listens on loopback or every interface). Matching on the
 * address the listener was given rather than on the request's Host header keeps a DNS-rebound
 * page (evil.example resolving to 127.0.0.1) out.
 */

/** The wildcard of an allowed-origin list: every web origin. */
export const ANY_ORIGIN = '*';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The bound address of the listener the upgrades arrive on. */
export type ListenerAddress = () => { readonly host: string; readonly port: number };

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** True when `origin` names the listener itself. */
function isOwnOrigin(origin: string, listener: ListenerAddress): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) return false;
  const { host, port } = listener();
  if (Number(url.port || defaultPort) !== port) return false;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostname === host) return true;
  return (isLoopbackHost(host) || WILDCARD_HOSTS.has(host)) && isLoopbackHost(hostname);
}

/** The Origin check of a listener that allows `allowed` (normalized origins, or `*`). */
export function originPolicy(
  allowed: readonly string[],
  listener: ListenerAddress,
): (origin: string) => boolean {
  const listed = new Set(allowed);
  if (listed.has(ANY_ORIGIN)) return () => true;
  return (origin) => listed.has(origin.toLowerCase()) || isOwnOrigin(origin, listener);
}
