/**
 * Ports for the test harness, from one place (issue 22 item 13), so suites can run side by side without fixed
 * ports. UDP ports (sipp, RTP) are the kernel's pick by default. TCP listening ports are picked at random outside
 * the kernel's ephemeral range (see freeTcpPort for why). `TELENODE_TEST_PORTS=30000-39999` confines what the
 * harness picks — HTTP, SMPP and sipp ports and the daemon's RTP range — to that range, e.g. to keep two
 * checkouts' suites apart on one machine or to stay inside a firewall's opening.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
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

/** The kernel's ephemeral port range, from which it gives outgoing connections their local ports. */
export function ephemeralPortRange(): PortRange {
  try {
    const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (min && max) return { min, max };
  } catch {
    // not Linux: IANA's dynamic range (RFC 6335 §6), which BSDs and macOS use
  }
  return { min: 49152, max: 65535 };
}

/** Where listening ports come from without TELENODE_TEST_PORTS: above the privileged ports and the usual services'. */
const DEFAULT_LISTEN_RANGE: PortRange = { min: 20000, max: 65535 };

/**
 * The larger part of `range` below or above the ephemeral ports, or `range` itself when that part is too small to
 * pick from (a TELENODE_TEST_PORTS inside the ephemeral range: the listeners then take their chances as before).
 */
export function outsideEphemeral(range: PortRange, ephemeral = ephemeralPortRange()): PortRange {
  const below = { min: range.min, max: Math.min(range.max, ephemeral.min - 1) };
  const above = { min: Math.max(range.min, ephemeral.max + 1), max: range.max };
  const larger = below.max - below.min >= above.max - above.min ? below : above;
  return larger.max - larger.min >= 100 ? larger : range;
}

/**
 * A TCP port on loopback nobody listens on now, outside the kernel's ephemeral range. Tests take listeners (an SMSC,
 * a callback receiver, PostgreSQL) down and bring them back on the same port while a client keeps reconnecting. On a
 * port inside the ephemeral range such a client can be handed that very port as its own local port, and its SYN to
 * a port nobody listens on then meets itself: a simultaneous open (RFC 9293 §3.5) that connects the socket to
 * itself and holds the port, so the listener cannot come back (seen as `127.0.0.1:P ↔ 127.0.0.1:P` in `ss`;
 * Linux walks the local ports for one destination in sequence, so a client retrying for seconds finds it often).
 * Outside the range no outgoing connection takes the port, in between either.
 */
export async function freeTcpPort(range = TEST_PORT_RANGE): Promise<number> {
  const from = outsideEphemeral(range ?? DEFAULT_LISTEN_RANGE);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await tryTcp(candidate(from));
    if (port !== null) return port;
  }
  throw new Error('no free TCP port in the test port range');
}

/**
 * Listen on loopback at `port`, or with port 0 at one from freeTcpPort — another one if some other process took it
 * between the check and the listen. Resolves with the port.
 */
export async function listenOnLoopback(server: Server, port = 0): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const chosen = port || (await freeTcpPort());
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(chosen, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return (server.address() as AddressInfo).port;
    } catch (err) {
      if (port || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
    }
  }
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
