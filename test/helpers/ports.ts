/**
 * Ports for the test harness, from one place (issue 22 item 13). By default the kernel picks each one (port 0,
 * from its ephemeral range), so suites can run side by side without fixed ports. `TELENODE_TEST_PORTS=30000-39999`
 * confines what the harness picks — HTTP, SMPP and sipp ports and the daemon's RTP range — to that range, e.g.
 * to keep two checkouts' suites apart on one machine or to stay inside a firewall's opening.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

export interface PortRange {
  min: number;
  max: number;
}

export function parsePortRange(text: string | undefined): PortRange | null {
  if (!text) return null;
  const match = /^\s*(\d{4,5})\s*-\s*(\d{4,5})\s*$/.exec(text);
  const [min, max] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(min >= 1024 && max <= 65535 && max - min >= 100)) {
    throw new Error(`TELENODE_TEST_PORTS="${text}" is not a range like 30000-39999 (at least 100 ports, 1024-65535)`);
  }
  return { min, max };
}

export const TEST_PORT_RANGE = parsePortRange(process.env['TELENODE_TEST_PORTS']);

/** A candidate port: 0 (the kernel picks) without a range, else a random one inside it. */
function candidate(range: PortRange | null, even = false): number {
  if (!range) return 0;
  const port = range.min + Math.floor(Math.random() * (range.max - range.min - 2));
  return even ? port - (port % 2) : port;
}

function tryTcp(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

function tryUdp(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(null));
    socket.bind(port, '127.0.0.1', () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

/** A TCP port on loopback nobody listens on now. */
export async function freeTcpPort(range = TEST_PORT_RANGE): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await tryTcp(candidate(range));
    if (port !== null) return port;
  }
  throw new Error('no free TCP port in the test port range');
}

/**
 * Ports from the one handed out on: sipp takes SIP on it and its media on the next ones (runSipp's `-mp` is port + 2:
 * audio RTP and RTCP, then video RTP and RTCP, bound whether the scenario has video or not).
 */
const SIPP_PORT_BLOCK = 6;
/** Ports of blocks this process handed out: two sipps started by one test must not get overlapping blocks before either binds. */
const handedOut = new Set<number>();

/** An even UDP port on loopback with the five after it free as well (a sipp's block, see SIPP_PORT_BLOCK). */
export async function freeUdpPort(range = TEST_PORT_RANGE): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await tryUdp(candidate(range, true));
    if (port === null || port % 2 !== 0 || port >= 65000) continue;
    const block = Array.from({ length: SIPP_PORT_BLOCK }, (_, i) => port + i);
    if (block.some((p) => handedOut.has(p))) continue;
    let free = true;
    for (const p of block.slice(1)) if ((free = (await tryUdp(p)) !== null) === false) break;
    if (!free) continue;
    for (const p of block) handedOut.add(p);
    return port;
  }
  throw new Error('no free UDP port in the test port range');
}

/** The RTP ports a test daemon may use: its default without a range, else the range's upper tenth. */
export function rtpPortRange(range = TEST_PORT_RANGE): { portMin: number; portMax: number } | null {
  if (!range) return null;
  const span = Math.max(100, Math.floor((range.max - range.min) / 10));
  return { portMin: range.max - span, portMax: range.max };
}
