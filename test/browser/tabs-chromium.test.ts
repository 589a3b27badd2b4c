// One connection shared by a browser's tabs, in headless Chromium: three tabs of one origin elect
// a holder (Web Locks), which alone connects to gregord and serves the others (BroadcastChannel).
// The holder is closed while a follower writes a stream of items, at a moment made certain: the
// holder's WebSocket stops delivering the server's answers (playwright routes it), so a write the
// server has stored is still unanswered when the tab goes. Another tab takes over, the follower
// sends that write again, and the server keeps it once. See chromium.ts for the skip.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { toHex } from '../../packages/client/src/protocol/index.js';
import { type Harness, startServer, U1 } from '../integration/helpers/test-server.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { type PageServer, servePage } from './page-server.js';

/** What tabs-app.ts defines in the page as `globalThis.tab` (page functions call it). */
declare const tab: {
  start(url: string, uid: string, token: string, shareTabs?: boolean): Promise<void>;
  isHolder(): boolean;
  stream(prefix: string, count: number): Promise<string[]>;
  writtenCount(): number;
  items(): [string, string][];
  itemEvents(): string[];
  status(): string;
  dismiss(id: string): Promise<void>;
  dismissLocally(id: string): Promise<void>;
  oob(system: string, body: string): Promise<string>;
  oobs(): string[];
  close(): Promise<void>;
};

const STREAM = 20;
const WAIT_MS = 30_000;

/** `promise`, or a rejection saying `what` after WAIT_MS. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolve once `predicate` holds, polling; reject after `timeoutMs` saying `what`. */
async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('one connection shared by three tabs in headless Chromium', {
  skip: chromiumMissing ?? false,
  timeout: 120_000,
}, () => {
  let h: Harness;
  let pages: PageServer;
  let browser: Browser;
  let context: BrowserContext;
  const tabs: Page[] = [];
  /** Tabs whose WebSocket no longer passes the server's frames to the page. */
  const stalled = new Set<Page>();
  let url: string;
  const uid = toHex(U1);

  /** The server's logged-in connections of U1. */
  const connections = (): number => h.server.hub.describe([U1])[0]?.devices.length ?? 0;

  /** The server's items of U1 as [id, body]. */
  async function serverItems(): Promise<[string, string][]> {
    const state = await h.stateMachine.state(U1, null, null);
    return state.items.map((i) => [toHex(i.md!.msgID), new TextDecoder().decode(i.item!.body!)]);
  }

  async function openTab(): Promise<Page> {
    const page = await context.newPage();
    // Through the test process, so that a tab's answers from the server can be held back.
    await page.routeWebSocket(/\/rpc$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((frame) => server.send(frame));
      server.onMessage((frame) => {
        if (!stalled.has(page)) ws.send(frame);
      });
    });
    await page.goto(pages.url);
    await page.waitForFunction(() => 'tab' in globalThis, undefined, { timeout: 10_000 });
    tabs.push(page);
    return page;
  }

  before(async () => {
    pages = await servePage(new URL('./tabs-app.ts', import.meta.url));
    h = await startServer({ http: true });
    url = `ws://127.0.0.1:${h.addresses.http!.port}/rpc`;
    browser = await launchChromium();
    context = await browser.newContext();
  });

  after(async () => {
    await browser?.close();
    await h?.close();
    await pages?.close();
  });

  /** Resolve once every tab of `pages` shows the server's items. */
  async function converged(pages: readonly Page[]): Promise<[string, string][]> {
    let all: [string, string][] = [];
    await until('every tab to show the server’s items', async () => {
      all = (await serverItems()).sort(([a], [b]) => (a < b ? -1 : 1));
      for (const page of pages) {
        const shown = await page.evaluate(() => tab.items());
        if (JSON.stringify(shown) !== JSON.stringify(all)) return false;
      }
      return true;
    });
    return all;
  }

  it('elects one holder: one connection for three tabs, a follower’s write acknowledged and seen by all', async () => {
    const token = h.auth.allow(U1);
    const first = await openTab();
    await first.evaluate(([u, id, t]) => tab.start(u, id, t), [url, uid, token] as const);
    assert.equal(await first.evaluate(() => tab.isHolder()), true);
    for (let i = 0; i < 2; i++) {
      const page = await openTab();
      await page.evaluate(([u, id, t]) => tab.start(u, id, t), [url, uid, token] as const);
    }
    const [, second, third] = tabs as [Page, Page, Page];
    assert.equal(await second.evaluate(() => tab.isHolder()), false);
    assert.equal(await third.evaluate(() => tab.isHolder()), false);
    assert.equal(await third.evaluate(() => tab.status()), 'online');

    const [id] = await second.evaluate(() => tab.stream('hello', 1));
    assert.deepEqual(await serverItems(), [[id, 'hello 0']], 'acknowledged: stored');
    await converged(tabs);
    assert.equal(connections(), 1, 'one WebSocket for the three tabs');
  });

  it('hands over when the holder closes mid-stream: no write lost, none stored twice', async () => {
    const [holder, second, writer] = tabs as [Page, Page, Page];
    const streamed = writer.evaluate((n) => tab.stream('stream', n), STREAM);
    await writer.waitForFunction(() => tab.writtenCount() >= 5, undefined, { timeout: WAIT_MS });
    stalled.add(holder);
    // A write the server stored whose answer the holder never passes on.
    await until('a stored write left unanswered', async () => {
      const stored = (await serverItems()).filter(([, body]) => body.startsWith('stream')).length;
      return stored > (await writer.evaluate(() => tab.writtenCount()));
    });
    await holder.close();

    const ids = await within('the stream to finish after the handover', streamed);
    const holders = await Promise.all(
      [second, writer].map((p) => p.evaluate(() => tab.isHolder())),
    );
    assert.equal(holders.filter(Boolean).length, 1, 'one of the remaining tabs took over');
    const streamItems = (await serverItems()).filter(([, body]) => body.startsWith('stream'));
    assert.deepEqual(
      streamItems.map(([, body]) => body).sort(),
      Array.from({ length: STREAM }, (_, i) => `stream ${i}`).sort(),
      'each write stored exactly once',
    );
    assert.deepEqual(new Set(ids), new Set(streamItems.map(([id]) => id)));
    assert.equal(ids.length, STREAM, 'every write acknowledged once');
    const all = await converged([second, writer]);
    for (const page of [second, writer]) {
      const events = await page.evaluate(() => tab.itemEvents());
      assert.deepEqual([...events].sort(), all.map(([id]) => id).sort(), 'one item event each');
    }
    await until('the old holder’s connection to go', async () => connections() === 1);
  });

  it('dismissals, local dismissals, out-of-band messages and typed refusals cross the tabs', async () => {
    const [, second, writer] = tabs as [Page, Page, Page];
    const follower = (await second.evaluate(() => tab.isHolder())) ? writer : second;
    const [first, next] = (await serverItems()).map(([id]) => id) as [string, string];
    await follower.evaluate((id) => tab.dismiss(id), first);
    assert.ok(!(await serverItems()).some(([id]) => id === first), 'acknowledged: dismissed');
    await converged([second, writer]);

    await follower.evaluate((id) => tab.dismissLocally(id), next);
    assert.ok(
      (await serverItems()).some(([id]) => id === next),
      'still on the server',
    );
    for (const page of [second, writer]) {
      await page.waitForFunction((id) => !tab.items().some(([i]) => i === id), next, {
        timeout: WAIT_MS,
      });
    }

    assert.equal(await follower.evaluate(() => tab.oob('tabs.oob', 'ping')), 'sent');
    for (const page of [second, writer]) {
      await page.waitForFunction(() => tab.oobs().includes('tabs.oob: ping'), undefined, {
        timeout: WAIT_MS,
      });
    }
    assert.equal(
      await follower.evaluate(() => tab.oob('', 'no system')),
      'InputError GREGOR_ERR_INPUT_INVALID',
    );
  });

  it('shareTabs: false connects a tab on its own, with the same API', async () => {
    const token = h.auth.allow(U1);
    const alone = await openTab();
    await alone.evaluate(([u, id, t]) => tab.start(u, id, t, false), [url, uid, token] as const);
    assert.equal(connections(), 2);
    assert.equal(await alone.evaluate(() => tab.isHolder()), false);
    await alone.evaluate(() => tab.stream('alone', 1));
    const [, second, writer] = tabs as [Page, Page, Page];
    for (const page of [second, writer]) {
      await page.waitForFunction(
        () => tab.items().some(([, body]) => body === 'alone 0'),
        undefined,
        {
          timeout: WAIT_MS,
        },
      );
    }
    await alone.evaluate(() => tab.close());
    await until('its connection to go', async () => connections() === 1);
  });
});
