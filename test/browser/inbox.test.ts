// examples/inbox in headless Chromium against a real gregord child process on SQLite: two tabs of
// one browser context and a tab of a second context (another "browser") open the page; the
// example's back end (examples/inbox/backend.ts, run as a process) creates notifications; the tabs
// dismiss one, dismiss a category and snooze one; gregord is stopped (a tab dismisses meanwhile)
// and restarted on the same data directory and port; a snoozed item returns at its remind time.
// After each step every tab must show the same items as the server, sorted the same way into the
// inbox and the snoozed section. Screenshots go to .tmp/test-output/inbox/ (git-ignored).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_UID, mintSessionToken } from '../../examples/inbox/demo-user.js';
import { type InboxPages, serveInboxPages } from '../../examples/inbox/pages.js';
import { connect } from '../../packages/client/src/index.js';
import { generateTokenSecret } from '../../packages/server/src/server/index.js';
import { GregordProcess } from '../integration/helpers/gregord-process.js';
import { chromiumMissing, launchChromium } from './chromium.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const OUTPUT = join(ROOT, '.tmp', 'test-output', 'inbox');
/** How long the views may take to agree after a step (a reconnect backs off up to ~16 s here). */
const CONVERGE_MS = 60_000;
/** The back end's snoozed item returns this long after it is created: after the restart. */
const REMIND_IN_S = 30;
/** The Snooze button's length: longer than the test, so a snoozed item stays snoozed. */
const SNOOZE_MS = 60 * 60 * 1000;

/** What a tab shows. */
interface View {
  inbox: string[];
  snoozed: string[];
  badge: string;
  status: string;
}

/** A created notification, as backend.ts prints it. */
interface Created {
  id: string;
  category: string;
  title: string;
}

// The page functions are anonymous: tsx would name a named one with a helper the page lacks.
async function readView(page: Page): Promise<View> {
  const ids = async (selector: string) =>
    (await page.$$eval(selector, (rows) => rows.map((r) => (r as HTMLElement).dataset.id!))).sort();
  return {
    inbox: await ids('#inbox [data-id]'),
    snoozed: await ids('#snoozed [data-id]'),
    badge: await page.$eval('#badge', (b) => b.textContent ?? ''),
    status: await page.$eval('#status', (s) => (s as HTMLElement).dataset.status ?? ''),
  };
}

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('examples/inbox in headless Chromium', { skip: chromiumMissing ?? false }, () => {
  let dir: string;
  let secret: string;
  let gregord: GregordProcess;
  let httpPort: number;
  let pages: InboxPages;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const tabs: { name: string; page: Page }[] = [];

  const wsUrl = () => `ws://127.0.0.1:${httpPort}/rpc`;

  function startGregord(port: number): Promise<GregordProcess> {
    return GregordProcess.start({
      storage: `sqlite:${join(dir, 'gregor.db')}`,
      tokenSecret: secret,
      args: ['--data-dir', dir, '--http-address', `127.0.0.1:${port}`],
    });
  }

  /** Run examples/inbox/backend.ts with `args`; the items it created. */
  async function backend(...args: string[]): Promise<Created[]> {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--conditions=gregor-source',
        '--import',
        'tsx',
        'examples/inbox/backend.ts',
        '--url',
        wsUrl(),
        '--data-dir',
        dir,
        ...args,
      ],
      { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', GREGOR_TOKEN_SECRET: secret } },
    );
    return stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Created);
  }

  /** The user's live item IDs on the server: a new device's view after a full sync. */
  async function serverIds(): Promise<string[]> {
    const g = await connect(wsUrl(), { uid: DEMO_UID, token: mintSessionToken(DEMO_UID, secret) });
    try {
      return sorted(g.items().map((i) => i.id));
    } finally {
      await g.close();
    }
  }

  /** Wait until `check` holds for every tab's view; fails with the views it last saw. */
  async function everyTab(what: string, check: (v: View) => boolean): Promise<View[]> {
    const deadline = Date.now() + CONVERGE_MS;
    for (;;) {
      const views = await Promise.all(tabs.map((t) => readView(t.page)));
      if (views.every(check)) return views;
      if (Date.now() > deadline) {
        const seen = tabs.map((t, i) => `${t.name}: ${JSON.stringify(views[i])}`).join('\n');
        assert.fail(`the tabs did not all show ${what} within ${CONVERGE_MS} ms:\n${seen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Every tab online with exactly `inbox` and `snoozed`, and the badge counting the inbox. */
  function converged(inbox: readonly string[], snoozed: readonly string[]) {
    return (v: View) =>
      v.status === 'online' &&
      JSON.stringify(v.inbox) === JSON.stringify(sorted(inbox)) &&
      JSON.stringify(v.snoozed) === JSON.stringify(sorted(snoozed)) &&
      v.badge === String(inbox.length);
  }

  async function screenshot(name: string): Promise<void> {
    await tabs[0]!.page.screenshot({ path: join(OUTPUT, `${name}.png`) });
  }

  before(async () => {
    await mkdir(OUTPUT, { recursive: true });
    dir = await mkdtemp(join(ROOT, '.tmp', 'inbox-test-'));
    secret = generateTokenSecret();
    gregord = await startGregord(0);
    httpPort = gregord.httpPort!;
    pages = await serveInboxPages({
      config: () => ({ url: wsUrl(), uid: DEMO_UID, snoozeMs: SNOOZE_MS }),
      mintToken: () => mintSessionToken(DEMO_UID, secret),
    });
    browser = await launchChromium();
    for (const name of ['context A', 'context B']) {
      contexts.push(await browser.newContext({ viewport: { width: 720, height: 600 } }));
      tabs.push({ name: `${name}, tab 1`, page: await contexts.at(-1)!.newPage() });
    }
    tabs.push({ name: 'context A, tab 2', page: await contexts[0]!.newPage() });
    for (const { page } of tabs) await page.goto(pages.url);
  });

  after(async () => {
    await browser?.close();
    await pages?.close();
    await gregord?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('keeps two tabs and a second browser in step through writes, a restart and a reminder', async () => {
    const [tab1, otherBrowser, tab2] = tabs.map((t) => t.page) as [Page, Page, Page];
    await everyTab('an empty inbox, online', converged([], []));

    // The back end creates five items; the billing one reminds in REMIND_IN_S: snoozed till then.
    const created = await backend('--remind-in', String(REMIND_IN_S));
    const byTitle = (prefix: string) => created.find((c) => c.title.startsWith(prefix))!.id;
    const billing = byTitle('Your invoice');
    const inbox = created.map((c) => c.id).filter((id) => id !== billing);
    await everyTab('the five new items, one snoozed', converged(inbox, [billing]));
    assert.deepEqual(await serverIds(), sorted(created.map((c) => c.id)));
    await screenshot('1-created');

    // One tab dismisses an item, the other browser dismisses a whole category.
    await tab1.click(`#inbox [data-id="${byTitle('Ada')}"] button[data-action="dismiss"]`);
    await otherBrowser.click(
      '#inbox [data-category="inbox.follow"] button[data-action="dismiss-all"]',
    );
    const grace = byTitle('Grace');
    await everyTab('one mention left', converged([grace], [billing]));
    assert.deepEqual(await serverIds(), sorted([grace, billing]));
    await screenshot('2-dismissed');

    // The second tab snoozes it: a copy that reminds in an hour replaces it.
    await tab2.click(`#inbox [data-id="${grace}"] button[data-action="snooze"]`);
    const snoozed = await everyTab('the mention snoozed', (v) => v.snoozed.length === 2);
    const graceAgain = snoozed[0]!.snoozed.find((id) => id !== billing)!;
    await everyTab('the mention snoozed', converged([], [billing, graceAgain]));

    // gregord stops; a tab dismisses the snoozed mention meanwhile (it waits in the outbox).
    await gregord.stop();
    await everyTab('offline', (v) => v.status !== 'online');
    await tab1.click(`#snoozed [data-id="${graceAgain}"] button[data-action="dismiss"]`);
    await tab1.waitForSelector(`#snoozed [data-id="${graceAgain}"][data-pending="true"]`);
    await screenshot('3-offline');

    // Back on the same data directory and port: the tabs reconnect, the dismissal is sent, and
    // an item created after the restart reaches every tab.
    gregord = await startGregord(httpPort);
    const [late] = await backend('--category', 'inbox.mention', '--title', 'Back online');
    const lateId = late!.id;
    await everyTab(
      'the restart caught up',
      (v) => v.status === 'online' && v.inbox.includes(lateId),
    );

    // At its remind time the billing item returns to the inbox, in every tab.
    await everyTab('the reminder back in the inbox', converged([lateId, billing], []));
    assert.deepEqual(await serverIds(), sorted([lateId, billing]));
    await screenshot('4-converged');
  });
});
