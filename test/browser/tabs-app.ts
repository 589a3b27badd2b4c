// The page script of the tabs test: each tab calls the browser's `connect`, which shares one
// connection among the tabs (or not, with shareTabs: false). The test calls these globals.
import {
  connect,
  type GregorConnection,
  SharedGregor,
} from '../../packages/client/src/client/browser.js';

let g: GregorConnection | undefined;
/** The acknowledged writes of the current stream. */
let written: string[] = [];
/** The IDs of the `item` events this tab saw, in order (one each, however the holder changed). */
const itemEvents: string[] = [];
/** The out-of-band messages this tab saw, as "system: text". */
const oobs: string[] = [];

const api = {
  /** Connect (resolves once this tab has the items of a synced connection). */
  async start(url: string, uid: string, token: string, shareTabs = true): Promise<void> {
    g = await connect(url, { uid, token, shareTabs });
    g.on('item', (item) => itemEvents.push(item.id));
    g.on('oob', (m) => oobs.push(`${m.system}: ${m.text()}`));
  },
  /** True when this tab holds the shared connection. */
  isHolder: (): boolean => g instanceof SharedGregor && g.isHolder,
  /** Create `count` items one after the other; resolves with their IDs. */
  async stream(prefix: string, count: number): Promise<string[]> {
    written = [];
    for (let i = 0; i < count; i++) {
      written.push(await g!.create({ category: 'tabs.test', body: `${prefix} ${i}` }));
    }
    return [...written];
  },
  /** How many writes of the current stream were acknowledged. */
  writtenCount: (): number => written.length,
  /** The live items of this tab as [id, body], sorted by id. */
  items: (): [string, string][] =>
    g!
      .items()
      .map((i): [string, string] => [i.id, i.text()])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  itemEvents: (): string[] => [...itemEvents],
  status: (): string => g!.status.type,
  dismiss: (id: string): Promise<void> => g!.dismiss(id),
  dismissLocally: (id: string): Promise<void> => g!.dismissLocally(id),
  /** Send an out-of-band message; resolves with the error's class and code when refused. */
  async oob(system: string, body: string): Promise<string> {
    try {
      await g!.sendOutOfBand(system, body);
      return 'sent';
    } catch (err) {
      return `${(err as Error).name} ${(err as { code?: string }).code}`;
    }
  },
  oobs: (): string[] => [...oobs],
  close: (): Promise<void> => g!.close(),
};

(globalThis as unknown as { tab: typeof api }).tab = api;
