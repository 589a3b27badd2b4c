/**
 * The bare framed-msgpack forwarder of the server benchmark (startBaseline in
 * server-bench-peers.ts) in a child process of its own, for benchmarks that run gregord as a
 * child too: no auth, storage, mailbox or bus, just the rpc layer forwarding each consume to the
 * user's connections. Prints `{"port":N}` and exits when its stdin closes.
 */
import { serveUntilStdinEnds } from './child-server.js';
import { startBaseline } from './server-bench-peers.js';

const forwarder = await startBaseline();
serveUntilStdinEnds(forwarder.port);
