import { LongRunning } from './processes.js';

/**
 * Who answers ARP for an address, port by port, on a switch of the lab. Every filer gives a
 * vsvr's interface the same MAC (derived from the cluster MAC), so a client cannot tell two
 * answering filers apart; the switch can, by the port each answer comes in on.
 *
 * A Python process (AF_PACKET, inside the switch namespace) broadcasts an ARP request for the
 * address on the segment's bridge every `everyMs` and watches every port for the replies. The
 * replies that arrive before the next request belong to that request; a request answered from
 * two ports is a double answer: two filers held the address at once, on the wire.
 *
 * Output: `ready`; `d SEQ PORT,PORT…` for every double answer (at once); every 100 requests
 * `s SENT ANSWERED DOUBLES PORT=REPLIES,…` (`-` for no replies yet).
 */
const WATCHER = String.raw`
import select, signal, socket, struct, sys, time
target = socket.inet_aton(sys.argv[1])
bridge = sys.argv[2]
sender = socket.inet_aton(sys.argv[3])
every = float(sys.argv[4]) / 1000.0
ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
tx.bind((bridge, 0))
mac = tx.getsockname()[4]
# ETH_P_ALL: a bridge port hands its frames to the bridge before protocol taps see them.
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
request = (b'\xff' * 6 + mac + struct.pack('!H', ETH_P_ARP)
           + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mac + sender + b'\x00' * 6 + target)
sent = answered = doubles = 0
ports = set()
totals = {}
def summary():
    per_port = ','.join('%s=%d' % kv for kv in sorted(totals.items())) or '-'
    sys.stdout.write('s %d %d %d %s\n' % (sent, answered, doubles, per_port))
def close_bucket():
    global answered, doubles
    if len(ports) > 0:
        answered += 1
    if len(ports) > 1:
        doubles += 1
        sys.stdout.write('d %d %s\n' % (sent, ','.join(sorted(ports))))
    ports.clear()
def stop(*_):
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
sys.stdout.write('ready\n')
sys.stdout.flush()
due = time.monotonic()
while True:
    now = time.monotonic()
    if now >= due:
        close_bucket()
        tx.send(request)
        sent += 1
        if sent % 100 == 0:
            summary()
            sys.stdout.flush()
        due = max(due + every, now)
        continue
    readable, _, _ = select.select([rx], [], [], due - now)
    if not readable:
        continue
    data, (ifname, _proto, pkttype, _hatype, _addr) = rx.recvfrom(2048)
    if pkttype == PACKET_OUTGOING or ifname == bridge or len(data) < 42:
        continue
    if data[12:14] == b'\x08\x06' and data[20:22] == b'\x00\x02' and data[28:32] == target:
        ports.add(ifname)
        totals[ifname] = totals.get(ifname, 0) + 1
`;

/** What the watcher counted so far. */
export interface ArpCounts {
  readonly sent: number;
  readonly answered: number;
  /** Requests answered from two ports or more. */
  readonly doubles: number;
  /** Each double answer: the request's number and the ports that answered it. */
  readonly doubleAnswers: readonly { readonly seq: number; readonly ports: readonly string[] }[];
  /** Replies for the address per switch port, so far. */
  readonly perPort: ReadonlyMap<string, number>;
}

/** A running ARP watch on one segment of a lab. */
export class ArpWatch {
  private constructor(private readonly process: LongRunning) {}

  /**
   * Starts watching `address` on `bridge` of the switch namespace `switchNs`, asking as
   * `sender` (an unused address of the segment) every `everyMs` ms.
   */
  static async start(options: {
    readonly switchNs: string;
    readonly bridge: string;
    readonly address: string;
    readonly sender: string;
    readonly everyMs?: number;
  }): Promise<ArpWatch> {
    const watcher = LongRunning.inNamespace(
      `ARP watch of ${options.address} on ${options.bridge}`,
      options.switchNs,
      '/usr/bin/python3',
      [
        '-u',
        '-c',
        WATCHER,
        options.address,
        options.bridge,
        options.sender,
        String(options.everyMs ?? 10),
      ],
    );
    await watcher.waitForOutput(/^ready$/m, 10_000);
    return new ArpWatch(watcher);
  }

  get pid(): number {
    return this.process.pid;
  }

  /** The counts so far (the last summary line and every double answer printed). */
  counts(): ArpCounts {
    return parseArpWatch(this.process.output());
  }

  /** Waits until the watcher has sent `n` more requests than now. */
  async waitRequests(n: number, timeoutMs = 10_000): Promise<void> {
    const from = this.counts().sent;
    await this.process.waitUntil(
      (out) => (parseArpWatch(out).sent >= from + n ? true : undefined),
      timeoutMs,
      `${n} more ARP requests`,
    );
  }

  /**
   * Stops the watcher once it has printed one more summary (every request up to then is
   * counted) and returns the counts.
   */
  async stop(): Promise<ArpCounts> {
    if (this.process.running) {
      await this.waitRequests(100).catch(() => undefined); // it died: its output says what it saw
    }
    await this.process.stop('SIGTERM');
    return this.counts();
  }
}

/** The watcher's counts from its output (see {@link ArpWatch}). */
export function parseArpWatch(output: string): ArpCounts {
  const summaries = [...output.matchAll(/^s (\d+) (\d+) (\d+) (\S+)$/gm)];
  const last = summaries.at(-1);
  const doubleAnswers = [...output.matchAll(/^d (\d+) (\S+)$/gm)].map((m) => ({
    seq: Number(m[1]),
    ports: (m[2] ?? '').split(','),
  }));
  return {
    sent: Number(last?.[1] ?? 0),
    answered: Number(last?.[2] ?? 0),
    doubles: Math.max(Number(last?.[3] ?? 0), doubleAnswers.length),
    doubleAnswers,
    perPort: new Map(
      (last?.[4] ?? '-')
        .split(',')
        .filter((p) => p !== '-')
        .map((p) => [p.split('=')[0] ?? '', Number(p.split('=')[1])]),
    ),
  };
}
