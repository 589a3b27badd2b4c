/**
 * The inbox page: one user's notifications, live. It connects with gregor-client's high-level
 * API, draws the items with plain DOM, and redraws on every change; each write (dismiss, dismiss
 * all, snooze) goes through the client, which keeps it until gregord has stored it, so a write
 * made while the server is away is sent when it is back.
 */
import { connect, type Gregor, type GregorItem, type GregorStatus } from 'gregor-client';
import { dismissAllRange, type InboxView, inboxView } from './inbox-view.js';
import { CONFIG_PATH, type PageConfig, TOKEN_PATH } from './page-config.js';

/** The parts of the page, by id (index.html). */
function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`index.html has no #${id}`);
  return found as T;
}

const badge = element('badge');
const statusLine = element('status');
const inboxList = element('inbox');
const snoozedList = element('snoozed');
const errorLine = element('error');

async function fetchText(path: string): Promise<string> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return res.text();
}

/** An item's body as the back end writes it, `{"title", "detail"}`; any other body as text. */
function titleAndDetail(item: GregorItem): { title: string; detail: string } {
  try {
    const body = item.json<{ title?: unknown; detail?: unknown }>();
    if (typeof body.title === 'string') {
      return { title: body.title, detail: typeof body.detail === 'string' ? body.detail : '' };
    }
  } catch {
    // Not JSON: show the text.
  }
  return { title: item.text(), detail: '' };
}

function clock(t: Date | number): string {
  return new Date(t).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

function button(action: string, label: string, disabled: boolean): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.action = action;
  b.textContent = label;
  b.disabled = disabled;
  return b;
}

function statusText(status: GregorStatus): string {
  switch (status.type) {
    case 'connecting':
      return status.attempt === 0 ? 'connecting…' : `connecting… (attempt ${status.attempt + 1})`;
    case 'online':
      return 'online';
    case 'offline':
      // The client retries on its own (with backoff) while retryInMs is set.
      return status.retryInMs === undefined ? 'offline' : 'offline, reconnecting…';
    case 'closed':
      return 'closed';
  }
}

class InboxPage {
  readonly #g: Gregor;
  readonly #config: PageConfig;
  /** Items with a write on its way: their buttons are disabled until the server has it. */
  readonly #pending = new Set<string>();
  #view: InboxView<GregorItem> | undefined;
  #wake: ReturnType<typeof setTimeout> | undefined;

  constructor(g: Gregor, config: PageConfig) {
    this.#g = g;
    this.#config = config;
    for (const event of ['item', 'dismiss', 'synced'] as const) g.on(event, () => this.draw());
    g.on('status', (status) => this.showStatus(status));
    document.addEventListener('click', (e) => this.#onClick(e));
  }

  showStatus(status: GregorStatus): void {
    statusLine.dataset.status = status.type;
    statusLine.textContent = statusText(status);
  }

  /** Redraw everything from the live items (a few dozen at most in an inbox). */
  draw(): void {
    const view = inboxView(this.#g.items(), Date.now());
    this.#view = view;
    badge.textContent = String(view.unread);
    badge.dataset.count = String(view.unread);
    document.title = view.unread === 0 ? 'Inbox' : `(${view.unread}) Inbox`;

    inboxList.replaceChildren(
      ...view.groups.map((group) => {
        const section = document.createElement('section');
        section.className = 'group';
        section.dataset.category = group.category;
        const heading = document.createElement('h3');
        heading.textContent = `${group.category} (${group.items.length}) `;
        heading.append(button('dismiss-all', 'Dismiss all', false));
        const list = document.createElement('ul');
        list.append(...group.items.map((item) => this.#row(item, false)));
        section.append(heading, list);
        return section;
      }),
    );
    snoozedList.replaceChildren(...view.snoozed.map((item) => this.#row(item, true)));
    document.body.dataset.empty = String(view.groups.length === 0);
    document.body.dataset.noneSnoozed = String(view.snoozed.length === 0);

    // A snoozed item returns at its remind time, and an item expires, with no event from the
    // server: wake up then.
    clearTimeout(this.#wake);
    if (view.nextChangeMs !== undefined) {
      this.#wake = setTimeout(() => this.draw(), Math.max(0, view.nextChangeMs - Date.now()) + 20);
    }
  }

  #row(item: GregorItem, snoozed: boolean): HTMLLIElement {
    const li = document.createElement('li');
    li.dataset.id = item.id;
    li.dataset.category = item.category;
    const pending = this.#pending.has(item.id);
    if (pending) li.dataset.pending = 'true';
    const { title, detail } = titleAndDetail(item);
    const text = document.createElement('div');
    text.className = 'text';
    const strong = document.createElement('strong');
    strong.textContent = title;
    text.append(strong);
    if (detail !== '') text.append(` ${detail}`);
    const when = document.createElement('time');
    const shown = snoozed ? item.remindAt[0]! : item.ctime;
    when.dateTime = shown.toISOString();
    when.textContent = snoozed ? `returns ${clock(shown)}` : clock(shown);
    li.append(text, when);
    if (!snoozed) li.append(button('snooze', 'Snooze', pending));
    li.append(button('dismiss', 'Dismiss', pending));
    return li;
  }

  #onClick(e: MouseEvent): void {
    const target = e.target instanceof HTMLButtonElement ? e.target : undefined;
    const action = target?.dataset.action;
    if (target === undefined || action === undefined) return;
    const row = target.closest<HTMLElement>('[data-id]');
    const group = target.closest<HTMLElement>('[data-category]');
    if (action === 'dismiss-all' && group !== null) {
      this.#dismissAll(group.dataset.category!);
      return;
    }
    const item = this.#g.items().find((i) => i.id === row?.dataset.id);
    if (item === undefined) return;
    if (action === 'dismiss') this.#write([item.id], () => this.#g.dismiss(item.id));
    if (action === 'snooze') this.#write([item.id], () => this.#snooze(item));
  }

  #dismissAll(category: string): void {
    const group = this.#view?.groups.find((g) => g.category === category);
    if (group === undefined) return;
    const range = dismissAllRange(group, this.#view!.snoozed);
    this.#write(
      group.items.map((i) => i.id),
      () => this.#g.dismissCategory(category, range),
    );
  }

  /**
   * Snooze = a copy of the item that reminds at now + snoozeMs, then the original dismissed.
   * Created first, so a failure in between leaves the item twice rather than nowhere.
   */
  async #snooze(item: GregorItem): Promise<void> {
    await this.#g.create({
      category: item.category,
      body: item.body,
      remindAt: [Date.now() + this.#config.snoozeMs],
      ...(item.expireAt === undefined ? {} : { expireAt: item.expireAt }),
    });
    await this.#g.dismiss(item.id);
  }

  /** Run a write for `ids`, their buttons disabled until the server has stored it. */
  #write(ids: readonly string[], write: () => Promise<void>): void {
    for (const id of ids) this.#pending.add(id);
    this.draw();
    write()
      .then(
        () => {
          errorLine.textContent = '';
        },
        (err: unknown) => {
          errorLine.textContent = err instanceof Error ? err.message : String(err);
        },
      )
      .finally(() => {
        for (const id of ids) this.#pending.delete(id);
        this.draw();
      });
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(await fetchText(CONFIG_PATH)) as PageConfig;
  statusLine.dataset.status = 'connecting';
  statusLine.textContent = `connecting to ${config.url}…`;
  // The token is asked for before each login, so a reconnect hours later gets a fresh one.
  const g = await connect(config.url, { uid: config.uid, token: () => fetchText(TOKEN_PATH) });
  const page = new InboxPage(g, config);
  page.showStatus(g.status);
  page.draw();
  window.addEventListener('pagehide', () => void g.close());
  // Back from the browser's back-forward cache with a closed client: start again.
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) window.location.reload();
  });
}

main().catch((err: unknown) => {
  errorLine.textContent = `could not start: ${err instanceof Error ? err.message : String(err)}`;
});
