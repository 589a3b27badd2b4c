// The page script of the browser test: bundled with src/client/browser.ts for a browser, it runs
// a GregorClient in the page over the browser's own WebSocket. The test calls these globals.
import {
  GregorClient,
  standardWebSocketConnector,
} from '../../packages/client/src/client/browser.js';
import {
  fromHex,
  type Message,
  type MsgID,
  toHex,
  type UID,
} from '../../packages/client/src/protocol/index.js';

let client: GregorClient | undefined;
const seen: string[] = [];

function creation(uid: UID, body: string): Message {
  const msgID = crypto.getRandomValues(new Uint8Array(16)) as MsgID;
  const md = { uid, msgID, ctime: 0, deviceID: null, inBandMsgType: 1 };
  const item = {
    category: 'browser.test',
    body: new TextEncoder().encode(body),
    dtime: { time: 0, offset: 0 },
    remindTimes: [],
  };
  return { ibm: { stateUpdate: { md, creation: item } } };
}

const api = {
  /** Connect, log in, sync; resolves once connected. */
  async start(url: string, uidHex: string, token: string): Promise<void> {
    const uid = fromHex(uidHex) as UID;
    client = new GregorClient({ uid, token, connect: standardWebSocketConnector(url) });
    client.on('message', (m) => {
      const id = m.ibm?.stateUpdate?.md.msgID;
      if (id !== undefined) seen.push(toHex(id));
    });
    await client.start();
  },
  /** Write an item through the outbox; resolves with its msgID once the server echoed it. */
  async add(uidHex: string, body: string): Promise<string> {
    const m = creation(fromHex(uidHex) as UID, body);
    const id = toHex(m.ibm!.stateUpdate!.md.msgID);
    await client!.consumeMessage(m);
    while (!seen.includes(id)) await new Promise((resolve) => setTimeout(resolve, 10));
    return id;
  },
  /** The msgIDs of the broadcasts received so far. */
  seen: (): string[] => [...seen],
  /** The local state's items as [msgID, body] pairs. */
  async items(): Promise<[string, string][]> {
    const state = await client!.stateMachineState(null, false);
    return state.items.map((i) => [toHex(i.md!.msgID), new TextDecoder().decode(i.item!.body!)]);
  },
  async stateHash(): Promise<string> {
    return toHex(await client!.stateHash());
  },
  async close(): Promise<void> {
    await client?.close();
  },
};

(globalThis as unknown as { gregor: typeof api }).gregor = api;
