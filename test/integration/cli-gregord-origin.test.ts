// The Origin rule of gregord's WebSocket listener (--ws-allowed-origins), against the real
// process: under --mock-auth a page of another site is refused (403) unless listed, the
// listener's own origin and clients sending no Origin pass; `*` lifts the rule; without mock
// auth any origin passes until a list is given.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { CliProcess, httpPort, LOOPBACK_PORT_0 } from './helpers/cli-process.js';
import { GregordProcess, stopAll } from './helpers/gregord-process.js';

/** The HTTP status of a WebSocket upgrade to gregord's /rpc sending `origin` (101: accepted). */
function upgradeStatus(port: number, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`, origin === undefined ? {} : { origin });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

const EVIL = 'http://evil.example';
const APP = 'https://app.example.com';

describe('gregord WebSocket Origin rule', () => {
  const gregords: GregordProcess[] = [];
  const commands: CliProcess[] = [];
  after(async () => {
    await stopAll(gregords);
    for (const p of commands) {
      p.kill();
      await p.exited;
    }
  });
  const mockGregord = async (args: string[] = []): Promise<number> => {
    const g = await GregordProcess.start({ storage: 'memory:', args });
    gregords.push(g);
    return g.httpPort as number;
  };

  it('with --mock-auth: refuses other sites with 403, lets its own origin and Origin-less clients in', async () => {
    const port = await mockGregord();
    assert.equal(await upgradeStatus(port), 101);
    assert.equal(await upgradeStatus(port, `http://127.0.0.1:${port}`), 101);
    assert.equal(await upgradeStatus(port, `http://localhost:${port}`), 101);
    assert.equal(await upgradeStatus(port, EVIL), 403);
    assert.equal(await upgradeStatus(port, APP), 403);
    // A page on another port of this machine is another origin.
    assert.equal(await upgradeStatus(port, `http://127.0.0.1:${port === 1 ? 2 : port - 1}`), 403);
    // A DNS-rebound page reaches 127.0.0.1 under its own name: still another origin.
    assert.equal(await upgradeStatus(port, `http://evil.example:${port}`), 403);
  });

  it('with --mock-auth and an allow-list: the listed origins pass, others do not; * lets all in', async () => {
    const [listed, any] = await Promise.all([
      mockGregord(['--ws-allowed-origins', `${APP}, http://dev.example:8080`]),
      mockGregord(['--ws-allowed-origins', '*']),
    ]);
    assert.equal(await upgradeStatus(listed, APP), 101);
    assert.equal(await upgradeStatus(listed, 'http://dev.example:8080'), 101);
    assert.equal(await upgradeStatus(listed, EVIL), 403);
    assert.equal(await upgradeStatus(any, EVIL), 101);
  });

  it('without mock auth: any origin by default (a token is needed anyway), the list when given', async () => {
    const start = (args: string[]): CliProcess => {
      const p = new CliProcess(
        'gregord.ts',
        ['--storage', 'memory:', ...LOOPBACK_PORT_0, ...args],
        {
          env: { GREGOR_TOKEN_SECRET: 'x'.repeat(32) },
        },
      );
      commands.push(p);
      return p;
    };
    const [open, listed] = await Promise.all([
      httpPort(start([])),
      httpPort(start(['--ws-allowed-origins', APP])),
    ]);
    assert.equal(await upgradeStatus(open, EVIL), 101);
    assert.equal(await upgradeStatus(listed, APP), 101);
    assert.equal(await upgradeStatus(listed, EVIL), 403);
  });
});
