/**
 * rpc layer benchmark. Run: `npx tsx bench/rpc-bench.ts`
 *
 * Prints, each beside a baseline measured in the same run:
 * 1. encode + decode of a typical consumeMessage call frame (an item creation with a 200-byte body)
 *    and of a broadcastMessage frame, against plain @msgpack/msgpack encode/decode of the same
 *    message array (no canonical key order, no framing, no message parsing);
 * 2. the per-connection cost of a broadcast whose args are encoded once (header + splice), against
 *    encoding the whole frame for every connection;
 *    and the bounds check every incoming frame passes (scanMsgpack), against the library's decode
 *    of the same bytes;
 * 3. ping round trips/s over one loopback TCP and WebSocket connection with 1 and 64 calls in
 *    flight, against a bare socket echo of the same frame bytes.
 * Every measurement is bounded (about a second or two each). Round trips alternate ours and the
 * baseline over a few short rounds and report medians, so a burst of load from elsewhere on the
 * machine does not land on one side only.
 */
import { decode, encode } from '@msgpack/msgpack';
import { Bench } from 'tinybench';
import {
  DEFAULT_DECODE_LIMITS,
  encodeCanonical,
  METHODS,
  type Message,
  type MsgID,
  scanMsgpack,
  type UID,
} from '../packages/client/src/protocol/internal.js';
import {
  type CallMessage,
  decodeArgs,
  decodeFrame,
  encodeCallHeader,
  encodeLengthPrefix,
  FrameDecoder,
  parseMessage,
} from '../packages/client/src/rpc/internal.js';
import { concat } from '../test/helpers/bytes.js';
import {
  bareTcpEcho,
  bareWebSocketEcho,
  sessionOverTcp,
  sessionOverWebSocket,
} from './rpc-roundtrips.js';

/** Each round-trip figure is the median of ROUNDS runs of ROUND_TRIP_MS, ours and baseline alternating. */
const ROUND_TRIP_MS = 600;
const ROUNDS = 3;
const MICRO_MS = 1000;

const message: Message = {
  ibm: {
    stateUpdate: {
      md: {
        uid: new Uint8Array(16).fill(1) as UID,
        msgID: new Uint8Array(16).fill(2) as MsgID,
        ctime: 1_700_000_000_000,
        deviceID: null,
        inBandMsgType: 1,
      },
      creation: {
        category: 'kbfs.favorites',
        dtime: { time: 0, offset: 0 },
        remindTimes: [],
        body: new Uint8Array(200).fill(0x61),
      },
    },
  },
};
const consumeArg = METHODS.consumeMessage.encodeArg({ m: message });
const broadcastArg = METHODS.broadcastMessage.encodeArg({ m: message });

/** What RpcSession.call writes: prefix + header + args, the args encoded by the caller. */
function encodeCallFrame(seq: number, method: string, arg: unknown): Uint8Array[] {
  const args = encodeCanonical([arg]);
  const header = encodeCallHeader(seq, method);
  return [encodeLengthPrefix(header.length + args.length), header, args];
}

/** What RpcSession does with received bytes: split frames, check and decode, parse, then args. */
function decodeCallFrame(chunks: Uint8Array[]): unknown {
  const decoder = new FrameDecoder(16 * 1024 * 1024);
  for (const chunk of chunks) decoder.push(chunk);
  const message = parseMessage(decodeFrame(decoder.next()!, DEFAULT_DECODE_LIMITS));
  return decodeArgs((message as CallMessage).args);
}

interface Row {
  name: string;
  ours: number;
  baseline: number;
  unit: string;
}

async function codecRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const bench = new Bench({ time: MICRO_MS, warmupTime: 200 });
  const cases = [
    ['consumeMessage call frame', METHODS.consumeMessage.name, consumeArg],
    ['broadcastMessage call frame', METHODS.broadcastMessage.name, broadcastArg],
  ] as const;
  for (const [name, method, arg] of cases) {
    const frameBytes = concat(...encodeCallFrame(7, method, arg));
    bench.add(`${name}: ours`, () => decodeCallFrame([concat(...encodeCallFrame(7, method, arg))]));
    bench.add(`${name}: baseline`, () => decode(encode([0, 7, method, [arg]])));
    rows.push({
      name: `${name} encode+decode (${frameBytes.length} B)`,
      ours: 0,
      baseline: 0,
      unit: 'ops/s',
    });
  }
  const broadcastArgs = encodeCanonical([broadcastArg]);
  let seq = 0;
  bench.add('fan-out: ours', () => {
    seq = (seq + 1) & 0x7fff_ffff;
    const header = encodeCallHeader(seq, METHODS.broadcastMessage.name);
    return [encodeLengthPrefix(header.length + broadcastArgs.length), header, broadcastArgs];
  });
  bench.add('fan-out: baseline', () =>
    encode([0, 7, METHODS.broadcastMessage.name, [broadcastArg]]),
  );
  rows.push({
    name: 'broadcast: per extra connection (args encoded once)',
    ours: 0,
    baseline: 0,
    unit: 'ops/s',
  });
  // The bounds check every incoming frame passes before it is decoded (msgpack-scan.ts), against
  // the library's decode of the same bytes: the check's cost as a share of decoding.
  const consumeFrame = encodeCanonical([0, 7, METHODS.consumeMessage.name, [consumeArg]]);
  bench.add('bounds check: ours', () => scanMsgpack(consumeFrame, DEFAULT_DECODE_LIMITS));
  bench.add('bounds check: baseline', () => decode(consumeFrame));
  rows.push({
    name: `consumeMessage bounds check vs library decode (${consumeFrame.length} B)`,
    ours: 0,
    baseline: 0,
    unit: 'ops/s',
  });
  await bench.run();
  const hz = (name: string): number => bench.getTask(name)?.result?.throughput.mean ?? Number.NaN;
  rows[0]!.ours = hz('consumeMessage call frame: ours');
  rows[0]!.baseline = hz('consumeMessage call frame: baseline');
  rows[1]!.ours = hz('broadcastMessage call frame: ours');
  rows[1]!.baseline = hz('broadcastMessage call frame: baseline');
  rows[2]!.ours = hz('fan-out: ours');
  rows[2]!.baseline = hz('fan-out: baseline');
  rows[3]!.ours = hz('bounds check: ours');
  rows[3]!.baseline = hz('bounds check: baseline');
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Driver = (inFlight: number, durationMs: number) => Promise<number>;

async function compare(
  name: string,
  ours: Driver,
  baseline: Driver,
  inFlight: number,
): Promise<Row> {
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    a.push(await ours(inFlight, ROUND_TRIP_MS));
    b.push(await baseline(inFlight, ROUND_TRIP_MS));
  }
  return { name, ours: median(a), baseline: median(b), unit: 'calls/s' };
}

async function roundTripRows(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const inFlight of [1, 64]) {
    rows.push(
      await compare(
        `ping round trips, TCP, ${inFlight} in flight`,
        sessionOverTcp,
        bareTcpEcho,
        inFlight,
      ),
    );
    rows.push(
      await compare(
        `ping round trips, WebSocket, ${inFlight} in flight`,
        sessionOverWebSocket,
        bareWebSocketEcho,
        inFlight,
      ),
    );
  }
  return rows;
}

function print(rows: Row[]): void {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log('| benchmark | ours | baseline | ours / baseline | unit |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.ours)} | ${fmt(r.baseline)} | ${(r.ours / r.baseline).toFixed(2)} | ${r.unit} |`,
    );
  }
}

console.log(`rpc bench: node ${process.version}, ${new Date().toISOString()}`);
console.log(
  'baselines: plain @msgpack/msgpack encode/decode of the same array; bare socket echo of the same frame bytes',
);
print([...(await codecRows()), ...(await roundTripRows())]);
