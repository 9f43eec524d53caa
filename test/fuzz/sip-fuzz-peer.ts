/**
 * A hostile SIP peer for the fuzz suite: sends mutated requests over UDP or
 * TCP and plays along far enough to reach the paths behind an answer. When
 * the node answers one of its INVITEs, it ACKs (sometimes mutated, sometimes
 * never, so the no-ACK timer fires), sends mutated in-dialog requests, and
 * sometimes hangs up. Every `probeEvery` messages a clean OPTIONS must be
 * answered: that paces the run and proves the node still listens.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { Dice, METHODS, baseRequest, inDialogRequest, mutate, seededRandom, serialize, type Peer } from './sip-mutator.js';

export interface FuzzRun {
  transport: 'UDP' | 'TCP';
  host: string;
  port: number;
  count: number;
  seed: number;
  probeEvery?: number;
  probeTimeoutMs?: number;
}

export interface FuzzReport {
  sent: number;
  probes: number;
  /** OPTIONS probes sent again because no answer came within 500 ms (lost datagrams, a reconnecting stream). */
  probeResends: number;
  answered: number;
  inDialog: number;
  /** When the first answered INVITE was left without an ACK (the node's 64·T1 timer runs from here). */
  firstUnackedAt: number | null;
  reconnects: number;
}

interface Wire {
  self: string;
  /** Called after a stream transport reconnected (a pending probe is sent again at once). */
  afterReconnect?: () => void;
  send(bytes: Buffer): void;
  onMessage(handler: (text: string) => void): void;
  close(): void;
}

export async function runSipFuzz(run: FuzzRun): Promise<FuzzReport> {
  const dice = new Dice(seededRandom(run.seed));
  const wire = run.transport === 'UDP' ? await udpWire(run) : await tcpWire(run);
  const peer: Peer = { self: wire.self, target: `${run.host}:${run.port}`, transport: run.transport };
  const report: FuzzReport = { sent: 0, probes: 0, probeResends: 0, answered: 0, inDialog: 0, firstUnackedAt: null, reconnects: 0 };
  const probeEvery = run.probeEvery ?? 50;
  const waiting = new Map<string, () => void>();
  const dialogs = new Set<string>();
  let n = 0;

  wire.onMessage((text) => {
    const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
    const callId = header(text, 'call-id', 'i');
    if (!status || !callId) return;
    const probe = waiting.get(callId);
    if (probe) {
      probe();
      return;
    }
    if (status === '200' && /^CSeq:\s*\d+\s+INVITE/im.test(text) && !dialogs.has(callId)) {
      dialogs.add(callId);
      report.answered++;
      playAlong(text, callId);
    }
  });

  const send = (bytes: Buffer) => {
    wire.send(bytes);
    report.sent++;
  };

  /** Behind the 200 OK: ACK or not, then a few in-dialog requests, mutated or clean. */
  function playAlong(response: string, callId: string): void {
    const contact = /<([^>]+)>/.exec(header(response, 'contact', 'm') ?? '')?.[1] ?? `sip:telenode@${peer.target}`;
    const dialog = { callId, from: header(response, 'from', 'f')!, to: header(response, 'to', 't')!, cseq: 10, target: contact };
    if (dice.chance(0.2)) {
      report.firstUnackedAt ??= Date.now();
      return;
    }
    const ack = inDialogRequest('ACK', dialog, peer, ++n);
    send(dice.chance(0.3) ? mutate(ack, dice) : serialize(ack));
    const more = dice.int(4);
    for (let i = 0; i < more; i++) {
      dialog.cseq += 1 + dice.int(3);
      const request = inDialogRequest(dice.pick(['INVITE', 'INFO', 'REFER', 'NOTIFY', 'OPTIONS', 'BYE', 'UPDATE', 'MESSAGE']), dialog, peer, ++n);
      send(dice.chance(0.7) ? mutate(request, dice) : serialize(request));
      report.inDialog++;
    }
    if (dice.chance(0.5)) send(serialize(inDialogRequest('BYE', { ...dialog, cseq: dialog.cseq + 1 }, peer, ++n)));
  }

  async function probe(): Promise<void> {
    const options = baseRequest('OPTIONS', peer, ++n, dice);
    const callId = options.headers.find(([name]) => name === 'Call-ID')![1];
    const bytes = serialize(options);
    // Sent again each second until answered: a datagram may be dropped, a TCP stream may be reconnecting.
    const again = setInterval(() => {
      report.probeResends++;
      wire.send(bytes);
    }, 500);
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(again);
        waiting.delete(callId);
        reject(
          new Error(`node did not answer OPTIONS within ${run.probeTimeoutMs ?? 15_000} ms after ${report.sent} messages (${run.transport}, seed ${run.seed})`),
        );
      }, run.probeTimeoutMs ?? 15_000);
      wire.afterReconnect = () => wire.send(bytes);
      waiting.set(callId, () => {
        wire.afterReconnect = undefined;
        clearTimeout(timer);
        clearInterval(again);
        waiting.delete(callId);
        resolve();
      });
    });
    send(bytes);
    await answered;
    report.probes++;
  }

  let sinceProbe = 0;
  try {
    while (report.sent < run.count) {
      const method = dice.chance(0.45) ? 'INVITE' : dice.pick(METHODS);
      const request = baseRequest(method, peer, ++n, dice);
      // A share of INVITEs go clean, so the node answers and the dialog paths are reached.
      send(method === 'INVITE' && dice.chance(0.3) ? serialize(request) : mutate(request, dice));
      if (++sinceProbe >= probeEvery) {
        sinceProbe = 0;
        await probe();
      }
    }
    await probe();
    if ('reconnects' in wire) report.reconnects = wire.reconnects as number;
    return report;
  } finally {
    wire.close();
  }
}

function header(text: string, name: string, compact: string): string | undefined {
  const match = new RegExp(`^(?:${name}|${compact})\\s*:\\s*(.*)$`, 'im').exec(text);
  return match?.[1]?.trim();
}

async function udpWire(run: FuzzRun): Promise<Wire> {
  const socket: UdpSocket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    self: `127.0.0.1:${socket.address().port}`,
    send: (bytes) => socket.send(bytes.subarray(0, 65_000), run.port, run.host),
    onMessage: (handler) => socket.on('message', (data) => handler(data.toString('binary'))),
    close: () => socket.close(),
  };
}

/**
 * Over TCP a lying Content-Length desynchronises the stream, and the node may
 * close it: that is its right. We reconnect and carry on.
 */
async function tcpWire(run: FuzzRun): Promise<Wire & { reconnects: number }> {
  let handler: (text: string) => void = () => undefined;
  let socket: TcpSocket;
  let closed = false;
  const wire: Wire & { reconnects: number } = {
    self: '',
    reconnects: 0,
    send: (bytes: Buffer) => {
      if (socket.destroyed || socket.writableNeedDrain) return;
      socket.write(bytes);
    },
    onMessage: (h: (text: string) => void) => {
      handler = h;
    },
    close: () => {
      closed = true;
      socket.destroy();
    },
  };
  const open = async (): Promise<void> => {
    socket = connect(run.port, run.host);
    socket.setNoDelay(true);
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('binary');
      // Responses from the node are well-formed: split them on their blank line and Content-Length.
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) break;
        const length = Number(/^(?:content-length|l)\s*:\s*(\d+)/im.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) break;
        handler(buffered.slice(0, end + 4 + length));
        buffered = buffered.slice(end + 4 + length);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (closed) return;
      wire.reconnects++;
      void open().then(
        () => wire.afterReconnect?.(),
        () => undefined,
      );
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    wire.self = `127.0.0.1:${socket.localPort}`;
  };
  await open();
  return wire;
}
