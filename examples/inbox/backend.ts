/**
 * `npm run example:inbox:backend`: the application's back end creating notifications for the demo
 * user, as a Node program with gregor-client's high-level API. Each `create` resolves once gregord
 * has stored the item; every open inbox shows it at once. It prints one JSON line per item.
 *
 *     npm run example:inbox:backend                     # a few items in three categories
 *     npm run example:inbox:backend -- --category inbox.mention --title "Hi" [--remind-in 10]
 *
 * --remind-in N gives the (first) item a remind time N seconds ahead: it waits in the page's
 * "Snoozed" section until then. --url, --uid and --data-dir name another gregord, user or data
 * directory (the URL is read from the data directory that `npm run example:inbox` wrote).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'gregor-client';
import {
  DEFAULT_DATA_DIR,
  DEMO_UID,
  mintSessionToken,
  readServeInfo,
  tokenSecret,
} from './demo-user.js';

/** One notification to create: the body the page reads is `{title, detail}` as JSON. */
interface Notification {
  category: string;
  title: string;
  detail?: string;
  /** A remind time this many seconds from now: the item starts snoozed. */
  remindInSeconds?: number;
}

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    uid: { type: 'string', default: DEMO_UID },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    category: { type: 'string' },
    title: { type: 'string' },
    detail: { type: 'string' },
    'remind-in': { type: 'string' },
  },
});
const dataDir = resolve(values['data-dir']);
const remindIn = values['remind-in'] === undefined ? undefined : Number(values['remind-in']);

const DEMO: Notification[] = [
  {
    category: 'inbox.mention',
    title: 'Ada mentioned you',
    detail: 'in #compilers: “can you review?”',
  },
  {
    category: 'inbox.mention',
    title: 'Grace mentioned you',
    detail: 'in #general: “lunch at noon”',
  },
  { category: 'inbox.follow', title: 'Linus followed you' },
  { category: 'inbox.follow', title: 'Barbara followed you' },
  {
    category: 'inbox.billing',
    title: 'Your invoice is ready',
    detail: 'due in 14 days',
    remindInSeconds: remindIn ?? 10,
  },
];

const wanted: Notification[] =
  values.category === undefined
    ? DEMO
    : [
        {
          category: values.category,
          title: values.title ?? values.category,
          ...(values.detail === undefined ? {} : { detail: values.detail }),
          ...(remindIn === undefined ? {} : { remindInSeconds: remindIn }),
        },
      ];

const url = values.url ?? (await readServeInfo(dataDir)).url;
const secret = await tokenSecret(dataDir);
const g = await connect(url, {
  uid: values.uid,
  token: () => mintSessionToken(values.uid, secret),
});
try {
  for (const n of wanted) {
    const remindAt = n.remindInSeconds === undefined ? [] : [Date.now() + n.remindInSeconds * 1000];
    const id = await g.create({
      category: n.category,
      body: { title: n.title, ...(n.detail === undefined ? {} : { detail: n.detail }) },
      remindAt,
    });
    const reminds = remindAt.map((t) => new Date(t).toISOString());
    console.log(JSON.stringify({ id, category: n.category, title: n.title, remindAt: reminds }));
  }
} finally {
  await g.close();
}
