/**
 * Everything the media worker does, apart from the thread glue in
 * media-worker.ts (so it can be tested in-process): binds RTP ports, runs one
 * RtpStream per call on one MediaClock, and answers the main thread's
 * messages. Pacing samples and counters go back in batches every
 * `statsIntervalMs` while any port is bound; nothing is sent per packet.
 */
import type { Socket } from 'node:dgram';
import type { Transferable } from 'node:worker_threads';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { MediaClock } from './media-clock.js';
import { COUNTER_FIELDS, type HostMessage, type MediaWorkerConfig, type StreamOptions, type WorkerMessage } from './media-protocol.js';
import { PacingCollector } from './pacing-collector.js';
import { RtpPortPool } from './port-pool.js';
import { RtpStream, type StreamEvents } from './rtp-stream.js';

export type PostToHost = (message: WorkerMessage, transfer?: Transferable[]) => void;

interface BoundPort {
  socket: Socket;
  release: () => void;
  stream: RtpStream | null;
}

export class MediaThread {
  private readonly pool: RtpPortPool;
  private readonly clock = new MediaClock();
  private readonly ports = new Map<number, BoundPort>();
  /** The answers of a port's recordings, once their files are finished: its 'released' comes after them. */
  private readonly finishing = new Map<number, Promise<unknown>>();
  private readonly pacing = new PacingCollector();
  private statsTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: MediaWorkerConfig,
    private readonly post: PostToHost,
  ) {
    this.pool = new RtpPortPool(config.host, config.portMin, config.portMax);
    this.clock.onTick = (first, last) => this.pacing.add(first, last);
  }

  /** A message from the main thread. One that fails is reported, never allowed to take the other calls down. */
  handle(message: HostMessage): void {
    try {
      this.dispatch(message);
    } catch (err) {
      this.post({ ev: 'warn', id: message.id, message: 'media worker failed to handle a message', details: { op: message.op, err: describe(err) } });
    }
  }

  /** Close every stream and port (tests; the real worker just ends). */
  stop(): void {
    for (const id of [...this.ports.keys()]) this.release(id);
  }

  private dispatch(m: HostMessage): void {
    switch (m.op) {
      case 'bind':
        void this.bind(m.id);
        return;
      case 'open':
        this.open(m.id, m.options);
        return;
      case 'release':
        this.release(m.id);
        return;
    }
    const stream = this.ports.get(m.id)?.stream;
    if (!stream) {
      // Released or never opened: still answer requests, so nobody on the main thread waits forever.
      if (m.op === 'sendDigits') this.post({ ev: 'digitsSent', id: m.id, request: m.request });
      if (m.op === 'stopRecording') this.post({ ev: 'recording', id: m.id, request: m.request, samples: 0, file: false, error: null });
      return;
    }
    switch (m.op) {
      case 'play':
        stream.play(m.clip, Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength));
        return;
      case 'cancel':
        stream.cancel(m.clip);
        return;
      case 'stopPlayback':
        stream.stopPlayback();
        return;
      case 'sendDigits':
        stream.sendDigits(m.request, m.events);
        return;
      case 'setSending':
        stream.setSending(m.sending);
        return;
      case 'setRemote':
        stream.setRemote(m.remote);
        return;
      case 'startRecording':
        stream.startRecording(m.path, m.silenceMs, m.request);
        return;
      case 'stopRecording':
        this.postRecording(m.id, m.request, stream.stopRecording());
        return;
      case 'close':
        stream.close();
        return;
    }
  }

  private async bind(id: number): Promise<void> {
    try {
      const bound = await this.pool.bind();
      // Without a listener a socket error would be thrown in the worker and end every call.
      bound.socket.on('error', (err) => this.post({ ev: 'warn', id, message: 'RTP socket error', details: { err: describe(err) } }));
      this.ports.set(id, { socket: bound.socket, release: bound.release, stream: null });
      this.startStats();
      this.post({ ev: 'bound', id, port: bound.port });
    } catch (err) {
      const code = err instanceof AppError ? err.code : ErrorCode.MEDIA_PORTS_EXHAUSTED;
      this.post({ ev: 'bindFailed', id, code, message: describe(err) });
    }
  }

  private open(id: number, options: StreamOptions): void {
    const port = this.ports.get(id);
    if (!port || port.stream) return;
    const events: StreamEvents = {
      played: (clip) => this.post({ ev: 'played', id, clip }),
      digitsSent: (request) => this.post({ ev: 'digitsSent', id, request }),
      digit: (digit) => this.post({ ev: 'digit', id, digit }),
      latched: (remote) => this.post({ ev: 'latched', id, remote }),
      silence: (request) => this.post({ ev: 'silence', id, request }),
      warn: (message, details) => this.post({ ev: 'warn', id, message, details }),
    };
    port.stream = new RtpStream(port.socket, this.clock, options, events);
  }

  private release(id: number): void {
    const port = this.ports.get(id);
    if (!port) return;
    this.ports.delete(id);
    port.stream?.close();
    port.release();
    if (this.ports.size === 0) this.stopStats();
    // After the recordings' answers: the main thread forgets the port at 'released', and one asked for before must
    // still reach it (a call's recording is asked for as the call ends, and its file takes a moment to finish).
    const finishing = this.finishing.get(id);
    this.finishing.delete(id);
    if (finishing) void finishing.then(() => this.post({ ev: 'released', id }));
    else this.post({ ev: 'released', id });
  }

  private postRecording(id: number, request: number, ended: Promise<{ samples: number; file: boolean }>): void {
    const answered = ended.then(
      ({ samples, file }) => this.post({ ev: 'recording', id, request, samples, file, error: null }),
      (err: unknown) => this.post({ ev: 'recording', id, request, samples: 0, file: false, error: describe(err) }),
    );
    this.finishing.set(id, Promise.all([this.finishing.get(id), answered]));
  }

  private startStats(): void {
    if (this.statsTimer) return;
    this.statsTimer = setInterval(() => this.postStats(), this.config.statsIntervalMs);
  }

  private stopStats(): void {
    if (!this.statsTimer) return;
    clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.postStats(); // the last samples of the last call
  }

  private postStats(): void {
    const streams = [...this.ports].filter(([, port]) => port.stream !== null);
    if (this.pacing.size === 0 && streams.length === 0) return;
    const counters = new Float64Array(streams.length * COUNTER_FIELDS);
    streams.forEach(([id, port], i) => {
      counters[i * COUNTER_FIELDS] = id;
      counters[i * COUNTER_FIELDS + 1] = port.stream!.counters.sent;
      counters[i * COUNTER_FIELDS + 2] = port.stream!.counters.received;
      counters[i * COUNTER_FIELDS + 3] = port.stream!.counters.dropped;
    });
    const pacing = this.pacing.take();
    this.post({ ev: 'stats', pacing, counters }, [pacing.first.buffer, pacing.last.buffer, counters.buffer]);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
