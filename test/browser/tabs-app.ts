// The page script of the tabs test: each tab joins the election for the user's connection; the
// holder runs a GregorClient over the browser's WebSocket and serves the other tabs' requests
// (write a message, list the items) over the tab channel. The test calls these globals.
import {
  GregorClient,
  standardWebSocketConnector,
} from '../../packages/client/src/client/browser.js';
import { TabChannel } from '../../packages/client/src/client/tab-channel.js';
import { TabElection } from '../../packages/client/src/client/tab-election.js';
import {
  fromHex,
  type Message,
  toHex,
  type UID,
} from '../../packages/client/src/protocol/index.js';
import { pageCreation } from './page-messages.js';

let channel: TabChannel;
let election: TabElection;
let client: GregorClient | undefined;
/** The acknowledged writes of the current stream. */
let written: string[] = [];

async function itemsOf(c: GregorClient): Promise<[string, string][]> {
  const state = await c.stateMachineState(null, false);
  return state.items.map((i) => [toHex(i.md!.msgID), new TextDecoder().decode(i.item!.body!)]);
}

async function serve(op: string, args: unknown): Promise<unknown> {
  const c = client!;
  if (op === 'items') return itemsOf(c);
  const m = args as Message;
  const id = toHex(m.ibm!.stateUpdate!.md.msgID);
  await c.consumeMessage(m);
  // Acknowledged once the server's broadcast of it is in the local state.
  while (!(await itemsOf(c)).some(([i]) => i === id)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return id;
}

const api = {
  /** Join the election; the holder connects and serves. */
  start(url: string, uidHex: string, token: string): void {
    const name = `gregor:${url}:${uidHex}`;
    channel = new TabChannel(name);
    election = new TabElection(name);
    election.start(() => {
      client = new GregorClient({
        uid: fromHex(uidHex) as UID,
        token,
        connect: standardWebSocketConnector(url),
      });
      void client.start().then(() => channel.serve(serve));
    });
  },
  isHolder: (): boolean => election.isHolder,
  /** Write `count` items one after the other, through whichever tab holds the connection. */
  async stream(uidHex: string, prefix: string, count: number): Promise<string[]> {
    written = [];
    for (let i = 0; i < count; i++) {
      const m = pageCreation(fromHex(uidHex) as UID, 'tabs.test', `${prefix} ${i}`);
      written.push((await channel.request('write', m)) as string);
    }
    return [...written];
  },
  /** How many writes of the current stream were acknowledged. */
  writtenCount: (): number => written.length,
  /** Requests of this tab waiting for a holder's answer. */
  pendingCount: (): number => channel.pendingCount,
  items: async (): Promise<[string, string][]> =>
    (await channel.request('items', null)) as [string, string][],
};

(globalThis as unknown as { tab: typeof api }).tab = api;
