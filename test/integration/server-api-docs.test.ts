// docs/server-api.md stays true: each of its curl examples runs, as written, with bash against a
// real gregord (a child process with an API key file and signed tokens), and so does its Node
// example. A curl config file (CURL_HOME) adds the HTTP status after each answer and bounds each
// request's time, so the commands need no test-only flags. A device of the examples' user,
// connected with gregor-client, sees what the examples write.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import { connect, type Gregor, type GregorItem } from '../../packages/client/src/client/index.js';
import { mintToken } from '../../packages/server/src/auth/index.js';
import type { ItemsJson } from '../../packages/server/src/server/api-schemas.js';
import { type DocExample, docBlocks, docExamples } from '../helpers/doc-example.js';
import { eventually } from '../helpers/eventually.js';
import { ApiClient, newApiKey, writeApiKeys } from './helpers/api-client.js';
import { GregordProcess } from './helpers/gregord-process.js';

const DOC = 'docs/server-api.md';
const SECRET = 'server-api-docs-test-secret-0123456789';
/** The IDs the examples write literally. */
const U1 = '0123456789abcdef0123456789abcdef';
const U2 = 'fedcba9876543210fedcba9876543210';
const NOTICE = '7a3c9e1f5b2d4a6c8e0f1a2b3c4d5e6f';
const INVITE = '9b1d3f5a7c0e2b4d6f8a1c3e5b7d9f0a';
const RELEASE = '5d0e6b2a4c8f1e3d7b9a0c2e4f6a8b1d';
/** A reminder the test makes due before the claim example runs. */
const DUE = '0d0e0a0d0b0e0e0f0d0e0a0d0b0e0e0f';
const DELIVERY_WAIT_MS = 10_000;
/** The examples, by marker name: each has its test below. */
const EXAMPLES = [
  'auth',
  'create',
  'create-binary',
  'create-many',
  'dismiss',
  'dismissals',
  'oob',
  'items',
  'sync',
  'presence',
  'claim',
  'ack',
  'openapi',
  'metrics',
  'node',
];
/** Written after each answer by curl (see `.curlrc` below), so a test reads the status. */
const STATUS_LINE = /([\s\S]*?)\nHTTP (\d{3})\n/g;

/** An answer a curl example printed: its status and its body (JSON, or undefined when empty). */
interface CurlAnswer {
  readonly status: number;
  readonly body: unknown;
}

function curlAnswers(stdout: string): CurlAnswer[] {
  return [...stdout.matchAll(STATUS_LINE)].map((m) => ({
    status: Number(m[2]),
    body: m[1] === '' ? undefined : JSON.parse(m[1]!),
  }));
}

const HEX32 = /^[0-9a-f]{32}$/;
const HASH = /^[0-9a-f]{64}$/;

describe('docs/server-api.md', () => {
  let dir: string;
  let gregord: GregordProcess;
  let device: Gregor;
  let port: number;
  let env: Record<string, string>;
  const examples = new Map<string, DocExample>();
  /** What the device saw, in order. */
  const seen = { items: [] as GregorItem[], dismissed: [] as string[], oob: [] as string[] };
  const key = newApiKey();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-api-docs-'));
    await writeApiKeys(join(dir, 'api-keys'), ['# the docs test', key]);
    await writeFile(join(dir, '.curlrc'), 'write-out = "\\nHTTP %{http_code}\\n"\nmax-time = 10\n');
    gregord = await GregordProcess.start({
      storage: 'memory:',
      tokenSecret: SECRET,
      args: ['--api-keys-file', join(dir, 'api-keys')],
    });
    port = gregord.httpPort!;
    env = { GREGOR: `http://127.0.0.1:${port}`, KEY: key, CURL_HOME: dir };
    for (const example of await docExamples(DOC)) examples.set(example.name, example);
    device = await connect(`fmprpc://127.0.0.1:${gregord.tcpPort}`, {
      uid: U1,
      token: mintToken({ uid: U1, sid: 'docs-device' }, SECRET),
      reconnect: false,
    });
    device.on('item', (item) => seen.items.push(item));
    device.on('dismiss', (ids) => seen.dismissed.push(...ids));
    device.on('oob', (message) => seen.oob.push(`${message.system} ${message.text()}`));
  });
  after(async () => {
    await device?.close();
    await gregord?.stop();
    await Promise.all([...examples.values()].map((e) => e.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  /** Run the curl example `name`: the `count` answers it printed. */
  async function runCurl(name: string, count: number): Promise<CurlAnswer[]> {
    const stdout = await examples.get(name)!.run(env);
    const answers = curlAnswers(stdout);
    assert.equal(answers.length, count, `${name} printed ${count} answers:\n${stdout}`);
    return answers;
  }

  /** Run the curl example `name`, which makes one request: its answer. */
  async function answerOf(name: string): Promise<CurlAnswer> {
    return (await runCurl(name, 1))[0]!;
  }

  async function itemsOf(uid: string) {
    return new ApiClient(port, key).call<z.infer<typeof ItemsJson>>('GET', `/users/${uid}/items`);
  }

  it('marks every curl block, and tests every marked one', async () => {
    const curlBlocks = (await docBlocks(DOC)).filter(
      (b) => b.lang === 'sh' && b.code.includes('curl '),
    );
    assert.deepEqual(
      curlBlocks.filter((b) => !b.isMarked).map((b) => b.code),
      [],
    );
    assert.deepEqual([...examples.keys()].sort(), [...EXAMPLES].sort());
  });

  it('auth: refuses a request without the key (401), answers one with it', async () => {
    const [without, withKey] = (await runCurl('auth', 2)) as [CurlAnswer, CurlAnswer];
    assert.equal(without.status, 401);
    assert.deepEqual(without.body, {
      error: {
        code: 'GREGOR_ERR_AUTH_FAILED',
        message: 'missing API key: send Authorization: Bearer <key>',
      },
    });
    assert.equal(withKey.status, 200);
    assert.ok(Array.isArray((withKey.body as { users: unknown }).users));
  });

  it('create: 201, then 200 with the first ctime when sent again; the device gets it once', async () => {
    const first = await answerOf('create');
    assert.equal(first.status, 201);
    const created = first.body as { id: string; ctime: number };
    assert.equal(created.id, NOTICE);
    assert.ok(Number.isSafeInteger(created.ctime) && created.ctime > 0);
    const again = await answerOf('create');
    assert.deepEqual(again, { status: 200, body: created });
    const item = await eventually(() => seen.items.find((i) => i.id === NOTICE) ?? false, {
      timeoutMs: DELIVERY_WAIT_MS,
      message: 'the device gets the item',
    });
    assert.equal(item.text(), 'Your export is ready');
  });

  it('create-binary and create-many: 201, one entry per user', async () => {
    const binary = await answerOf('create-binary');
    assert.equal(binary.status, 201);
    assert.equal((binary.body as { id: string }).id, INVITE);
    const many = await answerOf('create-many');
    assert.equal(many.status, 201);
    const { items } = many.body as { items: { uid: string; id: string; ctime: number }[] };
    assert.deepEqual(
      items.map((i) => [i.uid, i.id]),
      [
        [U1, RELEASE],
        [U2, RELEASE],
      ],
    );
    const fromU2 = await itemsOf(U2);
    assert.deepEqual(
      fromU2.body.items.map((i) => [i.id, i.body]),
      [[RELEASE, 'Version 2 is out']],
    );
  });

  it('items: the live items, no reminder times and no offset expiry; the state hash', async () => {
    const answer = await answerOf('items');
    assert.equal(answer.status, 200);
    const { items, hash } = answer.body as z.infer<typeof ItemsJson>;
    const byId = new Map(items.map((i) => [i.id, i]));
    assert.deepEqual([...byId.keys()].sort(), [NOTICE, INVITE, RELEASE].sort());
    const { ctime: noticeCtime, ...notice } = byId.get(NOTICE)!;
    assert.deepEqual(notice, {
      id: NOTICE,
      category: 'app.notice',
      body: 'Your export is ready',
      remindAt: [],
    });
    const { ctime: _, ...invite } = byId.get(INVITE)!;
    assert.deepEqual(invite, {
      id: INVITE,
      category: 'app.invite',
      bodyBase64: 'gaRmcm9tpWFsaWNl',
      expireAt: 1893456000000,
      remindAt: [],
    });
    assert.ok(noticeCtime > 0);
    assert.match(hash, HASH);
  });

  it('sync: the messages show the resolved expiry and the reminder times; the same hash', async () => {
    const answer = await answerOf('sync');
    assert.equal(answer.status, 200);
    const { messages, hash } = answer.body as {
      messages: { id: string; ctime: number; kind: string; creation?: Record<string, unknown> }[];
      hash: string;
    };
    const notice = messages.find((m) => m.id === NOTICE)!;
    assert.equal(notice.kind, 'update');
    assert.equal(notice.creation?.expireAt, notice.ctime + 604_800_000);
    const invite = messages.find((m) => m.id === INVITE)!;
    assert.deepEqual(invite.creation?.remindAt, [1893402000000]);
    assert.equal(hash, (await itemsOf(U1)).body.hash);
  });

  it('presence: the device of the first user, the second (not connected) left out', async () => {
    const answer = await answerOf('presence');
    assert.deepEqual(answer, {
      status: 200,
      body: { users: [{ uid: U1, devices: [{ type: '', platform: '', userAgent: '' }] }] },
    });
  });

  it('oob: 202, relayed to the connected device (after the items, each once)', async () => {
    const answer = await answerOf('oob');
    assert.deepEqual(answer, { status: 202, body: { relayed: true } });
    await eventually(() => seen.oob.includes('app.typing {"from":"alice"}'), {
      timeoutMs: DELIVERY_WAIT_MS,
      message: 'the device gets the out-of-band message',
    });
    // The user's messages reach a device in order: the repeated creation would be here by now.
    assert.deepEqual(
      seen.items.map((i) => i.id),
      [NOTICE, INVITE, RELEASE],
    );
  });

  it('claim and ack: a due reminder is claimed with its item, then deleted', async () => {
    const remindAt = Date.now() - 60_000;
    const made = await new ApiClient(port, key).call('POST', `/users/${U1}/items`, {
      id: DUE,
      category: 'test.due',
      body: 'due',
      remindAt: [remindAt],
    });
    assert.equal(made.status, 201);
    const claimed = await answerOf('claim');
    assert.equal(claimed.status, 200);
    const { reminders, more } = claimed.body as {
      reminders: { uid: string; id: string; seqno: number; remindAt: number; item: unknown }[];
      more: boolean;
    };
    assert.equal(more, false);
    const due = reminders.find((r) => r.id === DUE);
    assert.ok(due, 'the due reminder is claimed');
    assert.deepEqual(
      { ...due, item: { ...(due.item as object), ctime: 0 } },
      {
        uid: U1,
        id: DUE,
        seqno: 0,
        remindAt,
        item: { id: DUE, category: 'test.due', body: 'due', ctime: 0, remindAt: [] },
      },
    );
    const acked = await answerOf('ack');
    assert.deepEqual(acked, { status: 200, body: { deleted: 1 } });
    const again = await answerOf('ack');
    assert.deepEqual(again, acked, 'a reminder already gone is not an error');
  });

  it('dismiss and dismissals: 200 with the dismissal ID; the device removes the items', async () => {
    const one = await answerOf('dismiss');
    assert.equal(one.status, 200);
    const dismissal = one.body as { id: string; ctime: number };
    assert.match(dismissal.id, HEX32);
    assert.notEqual(dismissal.id, NOTICE, 'a dismissal is a message of its own');
    const again = await answerOf('dismiss');
    assert.equal(again.status, 200, 'dismissing an item already gone is not an error');
    const many = await answerOf('dismissals');
    assert.equal(many.status, 200);
    assert.match((many.body as { id: string }).id, HEX32);
    await eventually(() => [NOTICE, INVITE].every((id) => seen.dismissed.includes(id)), {
      timeoutMs: DELIVERY_WAIT_MS,
      message: 'the device removes both',
    });
    const left = (await itemsOf(U1)).body.items.map((i) => i.id).sort();
    assert.deepEqual(left, [DUE, RELEASE].sort(), 'the range kept the release it excepts');
  });

  it('openapi: the document, without a key, lists the endpoints of the table', async () => {
    // The example writes the document into the folder it runs in.
    assert.deepEqual(await answerOf('openapi'), { status: 200, body: undefined });
    const saved = join(examples.get('openapi')!.dir, 'gregor-openapi.json');
    const spec = JSON.parse(await readFile(saved, 'utf8')) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.equal(spec.openapi, '3.1.0');
    const served = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const text = await readFile(new URL(`../../${DOC}`, import.meta.url), 'utf8');
    const documented = [...text.matchAll(/^\| `(GET|POST|DELETE) (\/api\/v1\/[^`]+)` \|/gm)]
      .map((m) => `${m[1]} ${m[2]}`)
      .filter((route) => route !== 'GET /api/v1/openapi.json');
    assert.deepEqual(documented.sort(), served.sort());
  });

  it('metrics: requests counted by route and status', async () => {
    const stdout = await examples.get('metrics')!.run(env);
    const lines = stdout.trim().split('\n');
    assert.ok(
      lines.every((l) => l.startsWith('gregor_api_requests_total{')),
      stdout,
    );
    assert.ok(
      lines.some((l) =>
        l.startsWith(
          'gregor_api_requests_total{route="POST /api/v1/users/:uid/items",status="201"}',
        ),
      ),
      stdout,
    );
    assert.ok(
      lines.some((l) => l.includes('status="401"')),
      stdout,
    );
  });

  it('node: the fetch program creates, reads and dismisses an item', async () => {
    const stdout = await examples.get('node')!.run({ GREGOR: env.GREGOR!, KEY: key });
    const id = /^created ([0-9a-f]{32})$/m.exec(stdout)?.[1];
    assert.ok(id, stdout);
    assert.match(stdout, new RegExp(`^item ${id} \\{"text":"Your invoice is ready"\\}$`, 'm'));
    assert.match(stdout, new RegExp(`^dismissed ${id}$`, 'm'));
    const left = (await itemsOf(U1)).body.items.map((i) => i.id);
    assert.ok(!left.includes(id), 'dismissed');
  });
});
