/**
 * A gregord on a chosen loopback port, for client tests that stop a server and start another on
 * the same port (a restart, or a server that is unreachable for a while). Port 0 picks one.
 */

import {
  ManualClock,
  MemoryEngine,
  type StateMachine,
} from '../../../packages/client/src/state/index.js';
import { InProcessBus } from '../../../packages/server/src/pubsub/index.js';
import { GregorServer } from '../../../packages/server/src/server/index.js';
import { TestAuthenticator } from '../../integration/helpers/test-authenticator.js';
import { assertNoLeaks, T0 } from '../../integration/helpers/test-server.js';

/** A running gregord and what it was built from. */
export interface Gregord {
  readonly server: GregorServer;
  readonly port: number;
  readonly stateMachine: StateMachine;
  readonly auth: TestAuthenticator;
  /** Close the server and its bus, and check that nothing leaked. The engine stays open. */
  close(): Promise<void>;
}

/** Start gregord on 127.0.0.1:`port` over `stateMachine` (default: a new memory engine). */
export async function startGregordAt(
  port: number,
  stateMachine: StateMachine = new MemoryEngine({ clock: new ManualClock(T0) }),
  auth: TestAuthenticator = new TestAuthenticator(),
): Promise<Gregord> {
  const bus = new InProcessBus();
  const server = new GregorServer({
    stateMachine,
    bus,
    authenticator: auth,
    listen: { tcp: { host: '127.0.0.1', port } },
  });
  const addresses = await server.listen();
  return {
    server,
    port: addresses.tcp!.port,
    stateMachine,
    auth,
    async close() {
      await server.close();
      assertNoLeaks(server);
      await bus.close();
    },
  };
}
