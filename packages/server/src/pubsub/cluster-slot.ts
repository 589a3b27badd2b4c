/**
 * Redis Cluster hash slots: which of the 16384 slots a channel name falls in (the Redis Cluster
 * specification, "Keys distribution model": CRC16-CCITT/XMODEM of the name, or of its `{hash tag}`,
 * modulo 16384). One SSUBSCRIBE may only name channels of one slot, so the bus groups by slot.
 */

export const SLOT_COUNT = 16_384;

/** CRC16 (polynomial 0x1021, initial value 0), one table lookup per byte. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    table[byte] = crc & 0xffff;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  }
  return crc;
}

/**
 * The slot of `name`. As Redis does: when the name holds a `{` followed later by a `}` with at
 * least one byte between them, only those bytes are hashed; otherwise the whole name.
 */
export function slotOf(name: string): number {
  const bytes = Buffer.from(name);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOT_COUNT;
  }
  return crc16(bytes, 0, bytes.length) % SLOT_COUNT;
}

/** `channels` grouped by slot, keeping their order within each group. */
export function groupBySlot(channels: Iterable<string>): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const channel of channels) {
    const slot = slotOf(channel);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [channel]);
    else group.push(channel);
  }
  return groups;
}

/** Slot numbers as ranges, e.g. `0-5460,5462`. */
export function slotRanges(slots: readonly number[]): string {
  const sorted = [...slots].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
