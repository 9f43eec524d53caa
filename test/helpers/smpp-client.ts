/**
 * An SMPP client (ESME) for tests of telenode's SMPP server, on the `smpp`
 * package's client side: bind, send requests and read their responses, and
 * collect the deliver_sm the server sends (acknowledged, or refused on demand).
 */
import smpp, { type Pdu, type Session } from '../../src/sms/connectors/smpp/smpp-lib.js';
import { absoluteSmppTime } from '../../src/sms/smpp-server/smpp-time.js';
import { waitUntil } from './temp-dir.js';

export interface ReceivedDeliver {
  esmClass: number;
  source: string;
  destination: string;
  dataCoding: number;
  text: string;
  receiptedMessageId: string | null;
  messageState: number | null;
  shortMessage: Buffer;
  payload: Buffer | null;
}

export class SmppTestClient {
  readonly delivers: ReceivedDeliver[] = [];
  /** Answer deliver_sm with this command_status (0: accept). */
  deliverStatus = 0;
  closed = false;
  private constructor(readonly session: Session) {
    session.on('error', () => undefined);
    session.on('close', () => (this.closed = true));
    session.on('deliver_sm', (pdu: Pdu) => {
      const short = Buffer.isBuffer(pdu['short_message']) ? (pdu['short_message'] as Buffer) : Buffer.alloc(0);
      const payload = Buffer.isBuffer(pdu['message_payload']) ? (pdu['message_payload'] as Buffer) : null;
      if (this.deliverStatus === 0) {
        this.delivers.push({
          esmClass: Number(pdu['esm_class'] ?? 0),
          source: String(pdu['source_addr'] ?? ''),
          destination: String(pdu['destination_addr'] ?? ''),
          dataCoding: Number(pdu['data_coding'] ?? 0),
          text: (payload ?? short).toString('latin1'),
          receiptedMessageId: typeof pdu['receipted_message_id'] === 'string' ? (pdu['receipted_message_id'] as string) : null,
          messageState: typeof pdu['message_state'] === 'number' ? (pdu['message_state'] as number) : null,
          shortMessage: short,
          payload,
        });
      }
      session.send(pdu.response({ command_status: this.deliverStatus }));
    });
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
  }

  /** `tls`: over TLS, trusting this CA; `localAddress`: from this address (any of 127.0.0.0/8 is a source of its own). */
  static connect(port: number, options: { tls?: { ca: Buffer }; localAddress?: string } = {}): Promise<SmppTestClient> {
    return new Promise((resolve, reject) => {
      const session = smpp.connect(
        {
          url: `${options.tls ? 'ssmpp' : 'smpp'}://127.0.0.1:${port}`,
          auto_enquire_link_period: 0,
          ...(options.tls ? { ca: options.tls.ca, rejectUnauthorized: true } : {}),
          ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        },
        () => resolve(new SmppTestClient(session)),
      );
      session.once('error', reject);
      session.once('close', () => reject(new Error('closed before it connected')));
    });
  }

  /** Binds and resolves with the command_status. */
  bind(role: 'transmitter' | 'receiver' | 'transceiver', systemId: string, password: string): Promise<number> {
    return this.request(`bind_${role}`, { system_id: systemId, password, interface_version: 0x34 }).then((r) => r.command_status);
  }

  request(command: string, fields: Record<string, unknown>): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const ok = this.session.send(
        new smpp.PDU(command, fields),
        (resp: Pdu) => resolve(resp),
        undefined,
        () => reject(new Error('not sent')),
      );
      if (ok === false) reject(new Error('socket not writable'));
    });
  }

  submit(fields: Record<string, unknown>): Promise<Pdu> {
    return this.request('submit_sm', { source_addr: 'ACME', source_addr_ton: 5, destination_addr: '+36101234567', dest_addr_ton: 1, ...fields });
  }

  receipts(): ReceivedDeliver[] {
    return this.delivers.filter((d) => (d.esmClass & 0x04) !== 0);
  }

  async waitForDelivers(count: number, filter: (d: ReceivedDeliver) => boolean = () => true, timeoutMs = 20_000): Promise<ReceivedDeliver[]> {
    await waitUntil(() => this.delivers.filter(filter).length >= count, timeoutMs, `${count} deliver_sm`);
    return this.delivers.filter(filter);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.session.once('close', () => resolve());
      this.session.destroy();
    });
  }
}

/** The fields of an SMPP 3.4 Appendix B receipt text. */
export function receiptFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(id|sub|dlvrd|submit date|done date|stat|err|text):(\S*)/gi)) out[m[1]!.toLowerCase()] = m[2]!;
  return out;
}

/**
 * A send time at least `ms` from now on a whole second (SMPP absolute time has no milliseconds), as epoch ms and as
 * the schedule_delivery_time that says it (SMPP 3.4 §7.1.1).
 */
export function sendTimeIn(ms: number): { at: number; smpp: string } {
  const at = Math.ceil((Date.now() + ms) / 1000) * 1000;
  return { at, smpp: absoluteSmppTime(at) };
}
