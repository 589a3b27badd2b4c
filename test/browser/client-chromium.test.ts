// GregorClient in a real browser: headless Chromium (Debian's, driven by playwright-core) loads a
// page whose script bundles src/client/browser.ts, connects to gregord's WebSocket endpoint with
// the browser's own WebSocket, writes an item, receives a write of another device, and ends with
// the server's state hash. See chromium.ts for when it skips.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { stateHash, toHex } from '../../packages/client/src/protocol/index.js';
import { creation, type Harness, startServer, U1 } from '../integration/helpers/test-server.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { type PageServer, servePage } from './page-server.js';

/** The globals page-app.ts defines in the page. */
interface PageGlobals {
  gregor: {
    start(url: string, uidHex: string, token: string): Promise<void>;
    add(uidHex: string, body: string): Promise<string>;
    seen(): string[];
    items(): Promise<[string, string][]>;
    stateHash(): Promise<string>;
    close(): Promise<void>;
  };
}

describe('GregorClient in headless Chromium', { skip: chromiumMissing ?? false }, () => {
  let h: Harness;
  let pages: PageServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    pages = await servePage(new URL('./page-app.ts', import.meta.url));
    h = await startServer({ http: true });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(pages.url);
    await page.waitForFunction(() => 'gregor' in globalThis, undefined, { timeout: 10_000 });
  });

  after(async () => {
    await page
      ?.evaluate(() => (globalThis as unknown as PageGlobals).gregor.close())
      .catch(() => undefined);
    await browser?.close();
    await h?.close();
    await pages?.close();
  });

  it('syncs, writes, receives another device’s write, and matches the server’s state hash', async () => {
    const url = `ws://127.0.0.1:${h.addresses.http!.port}/rpc`;
    const uid = toHex(U1);
    const token = h.auth.allow(U1);
    await page.evaluate(
      ([u, id, t]) => (globalThis as unknown as PageGlobals).gregor.start(u, id, t),
      [url, uid, token] as const,
    );

    const written = await page.evaluate(
      (id) => (globalThis as unknown as PageGlobals).gregor.add(id, 'from the page'),
      uid,
    );
    const stored = (await h.stateMachine.state(U1, null, null)).items.map((i) =>
      toHex(i.md!.msgID),
    );
    assert.deepEqual(stored, [written]);

    const other = await h.user(U1);
    const m = creation(U1, 7);
    await other.call('consumeMessage', { m });
    const otherID = toHex(m.ibm!.stateUpdate!.md.msgID);
    await page.waitForFunction(
      (id) => (globalThis as unknown as PageGlobals).gregor.seen().includes(id),
      otherID,
      {
        timeout: 10_000,
      },
    );
    const items: [string, string][] = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).gregor.items(),
    );
    assert.deepEqual(items.map(([id]) => id).sort(), [written, otherID].sort());
    assert.ok(items.some(([, body]) => body === 'from the page'));
    const browserHash: string = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).gregor.stateHash(),
    );
    assert.equal(browserHash, toHex(stateHash(await h.stateMachine.state(U1, null, null))));
  });
});
