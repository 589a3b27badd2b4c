/**
 * Whether TCP keepalive is on for a socket, read from the kernel (Linux `/proc/net/tcp`), not
 * from the code that set it. An established socket shows timer 2 there while its keepalive timer
 * is armed, and 0 when keepalive is off and nothing is in flight.
 */
import { readFileSync } from 'node:fs';

/** The kernel's view of one TCP socket of this machine. */
interface KernelSocket {
  localPort: number;
  remotePort: number;
  /** 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe, 0 none. */
  timer: number;
}

/** `/proc/net/tcp` and `tcp6` have the same columns; ports are the hex after the last ':'. */
function kernelSockets(): KernelSocket[] {
  const rows: KernelSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 6) continue;
      const port = (address: string): number => Number.parseInt(address.split(':').at(-1)!, 16);
      rows.push({
        localPort: port(cols[1]!),
        remotePort: port(cols[2]!),
        timer: Number.parseInt(cols[5]!.split(':')[0]!, 16),
      });
    }
  }
  return rows;
}

/** True when the socket from `localPort` to `remotePort` has keepalive armed. */
export function hasKeepalive(localPort: number, remotePort: number): boolean {
  return kernelSockets().some(
    (s) => s.localPort === localPort && s.remotePort === remotePort && s.timer === 2,
  );
}

/** The keepalive state of every socket connected to `remotePort`, one boolean each. */
export function keepaliveTo(remotePort: number): boolean[] {
  return kernelSockets()
    .filter((s) => s.remotePort === remotePort)
    .map((s) => s.timer === 2);
}
