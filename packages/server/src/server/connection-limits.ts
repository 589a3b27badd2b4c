/**
 * How many connections one remote address and one user may hold on this instance (every buffer
 * is bounded). An address counts from accept to close, logged in or not, so one host
 * cannot pin many sockets and their partial frames; a user counts from login to close, so one
 * stolen or buggy token cannot hold unbounded connections. Counting is synchronous, so concurrent
 * logins cannot slip past the bound together.
 */

/** The bounds; undefined is no bound (the library default: tests open many loopback connections). */
export interface ConnectionLimitsOptions {
  readonly maxPerAddress: number | undefined;
  readonly maxPerUser: number | undefined;
}

/** Why a connection was refused, as the metric labels it. */
export const REFUSED_BY = { address: 'address', user: 'user' } as const;
export type RefusedBy = (typeof REFUSED_BY)[keyof typeof REFUSED_BY];

/** A count per key, bounded; keys at zero are forgotten, so the map holds only live keys. */
class BoundedCounts {
  readonly #max: number;
  readonly #counts = new Map<string, number>();

  constructor(max: number | undefined) {
    this.#max = max ?? Number.POSITIVE_INFINITY;
  }

  /** Count one more for `key`, unless it is at the bound; true when counted. */
  tryAdd(key: string): boolean {
    const count = this.#counts.get(key) ?? 0;
    if (count >= this.#max) return false;
    this.#counts.set(key, count + 1);
    return true;
  }

  remove(key: string): void {
    const count = this.#counts.get(key) ?? 0;
    if (count <= 1) this.#counts.delete(key);
    else this.#counts.set(key, count - 1);
  }

  get size(): number {
    return this.#counts.size;
  }
}

/** The connection counts of one server. */
export class ConnectionLimits {
  readonly #byAddress: BoundedCounts;
  readonly #byUser: BoundedCounts;

  constructor(opts: ConnectionLimitsOptions) {
    this.#byAddress = new BoundedCounts(opts.maxPerAddress);
    this.#byUser = new BoundedCounts(opts.maxPerUser);
  }

  /** Count a new connection from `address` (an IP); false when it is at its bound. */
  tryOpen(address: string): boolean {
    return this.#byAddress.tryAdd(address);
  }

  /** A connection counted by `tryOpen` closed. */
  closed(address: string): void {
    this.#byAddress.remove(address);
  }

  /** Count a login of `user` (its uid in hex); false when it is at its bound. */
  tryLogin(user: string): boolean {
    return this.#byUser.tryAdd(user);
  }

  /** A connection counted by `tryLogin` closed. */
  loggedOut(user: string): void {
    this.#byUser.remove(user);
  }

  /** Addresses and users with a counted connection (zero once every connection closed). */
  get trackedKeys(): number {
    return this.#byAddress.size + this.#byUser.size;
  }
}

/** The IP of a `host:port` remote address (`[::1]:5` or `::1:5` style both end in `:port`). */
export function hostOf(remoteAddress: string): string {
  const at = remoteAddress.lastIndexOf(':');
  const host = at < 0 ? remoteAddress : remoteAddress.slice(0, at);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
