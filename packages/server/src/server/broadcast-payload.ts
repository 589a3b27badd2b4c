/**
 * The bytes of one `gregor.1.outgoing.broadcastMessage` argument list, encoded once per message
 * (docs/architecture.md, "5. The pipeline"), not once per connection. The same bytes are spliced
 * into the call frame of every connection of the user and are what the bus carries to other
 * instances, which splice them unchanged into their own connections' frames.
 */
import { encodeCanonical, METHODS, type Message } from 'gregor-client/protocol';

/** Encode `[{m}]`, the args array of broadcastMessage (args are always `[ {named} ]`). */
export function encodeBroadcastArgs(m: Message): Uint8Array {
  return encodeCanonical([METHODS.broadcastMessage.encodeArg({ m })]);
}
