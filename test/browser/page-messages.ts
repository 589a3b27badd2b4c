// The messages the page scripts write, built in the page (a random msgID, the server's ctime).
import type { Message, MsgID, UID } from '../../packages/client/src/protocol/index.js';

/** A creation of an item of `category` with the UTF-8 `body`, for `uid`. */
export function pageCreation(uid: UID, category: string, body: string): Message {
  const msgID = crypto.getRandomValues(new Uint8Array(16)) as MsgID;
  const md = { uid, msgID, ctime: 0, deviceID: null, inBandMsgType: 1 };
  const item = {
    category,
    body: new TextEncoder().encode(body),
    dtime: { time: 0, offset: 0 },
    remindTimes: [],
  };
  return { ibm: { stateUpdate: { md, creation: item } } };
}
