/**
 * One client connection to the SMPP server (SMPP 3.4 §2.2–2.3): it must bind
 * within bindTimeoutSeconds; a bind is checked against the API users (the
 * password against its scrypt hash, through the same log-in guard as HTTP);
 * then each request is answered — submit_sm and data_sm after the message is
 * durably stored, query_sm, cancel_sm, enquire_link, unbind — and anything
 * else gets its error. A PDU whose body cannot be decoded gets its own
 * error response and the session reads on; a stream that cannot be framed
 * ends the session. A client that falls silent is asked with enquire_link
 * and dropped when it does not answer.
 */
import smpp, { pduHeader, type Pdu, type Session } from '../connectors/smpp/smpp-lib.js';
import { SmppStatus } from '../connectors/smpp/status-codes.js';
import type { Logger } from '../../shared/log.js';
import { coalesceWrites } from '../../shared/coalesced-writes.js';
import type { SmppUserConfig } from './config.js';
import type { DeliveryTarget } from './deliveries.js';
import type { QueuedDelivery } from './ports.js';

export type BindRole = 'transmitter' | 'receiver' | 'transceiver';

/** What a session asks of the server it belongs to. */
export interface SessionHost {
  readonly log: Logger;
  readonly enquireLinkTimeoutMs: number;
  readonly bindTimeoutMs: number;
  /** Resolves with the user's SMPP rights, or with the command_status refusing the bind. */
  bind(session: ServerSession, systemId: string, password: string): Promise<SmppUserConfig | number>;
  bound(session: ServerSession): void;
  closed(session: ServerSession): void;
  /** A request of a bound session; resolves with the response's fields (command_status included when not OK). */
  request(session: ServerSession, pdu: Pdu): Promise<Record<string, unknown>>;
  counted(systemId: string, direction: 'in' | 'out', command: string): void;
}

const RESPONSE_TIMEOUT_MS = 30_000;
const BIND_COMMANDS = new Set(['bind_transmitter', 'bind_receiver', 'bind_transceiver']);

export class ServerSession implements DeliveryTarget {
  systemId: string | null = null;
  role: BindRole | null = null;
  user: SmppUserConfig | null = null;
  /** Requests from the client not answered yet (its window, as we see it). */
  private pendingRequests = 0;
  /** deliver_sm we sent and the client has not answered. */
  private readonly unanswered = new Set<() => void>();
  private lastHeardAt = Date.now();
  private enquireSentAt: number | null = null;
  private readonly watchdog: NodeJS.Timeout;
  private readonly openedAt = Date.now();
  private binding = false;

  constructor(
    readonly session: Session,
    readonly source: string,
    private readonly host: SessionHost,
  ) {
    session.on('pdu', (pdu: Pdu) => this.onPdu(pdu));
    session.on('invalid_pdu', (raw: Buffer, err: Error) => this.onInvalid(raw, err));
    session.on('error', (err: Error) => {
      this.host.log.warn({ source, systemId: this.systemId, reason: err.message }, 'SMPP client session error: closed');
      session.destroy();
    });
    session.on('close', () => this.onClose());
    const tick = Math.max(200, Math.min(5000, Math.floor(Math.min(host.enquireLinkTimeoutMs, host.bindTimeoutMs) / 3)));
    this.watchdog = setInterval(() => this.watch(), tick);
    this.watchdog.unref();
  }

  get takesDeliveries(): boolean {
    return this.role === 'receiver' || this.role === 'transceiver';
  }

  room(): number {
    if (this.session.closed || !this.user) return 0;
    return Math.max(0, this.user.window - this.unanswered.size);
  }

  deliver(fields: QueuedDelivery['fields']): Promise<number | null> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (status: number | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.unanswered.delete(onClose);
        resolve(status);
      };
      const onClose = () => settle(null);
      const timer = setTimeout(() => settle(null), RESPONSE_TIMEOUT_MS);
      this.unanswered.add(onClose);
      try {
        const pdu = new smpp.PDU('deliver_sm', { ...fields });
        // A delivery pass offers a burst of receipts at once: one write (one segment, Nagle being off) per turn of the
        // event loop, as for our own binds (connectors/smpp/bind.ts).
        coalesceWrites(this.session.socket);
        this.session.send(
          pdu,
          (resp: Pdu) => settle(resp.command_status),
          undefined,
          () => settle(null),
        );
        this.host.counted(this.systemId ?? '', 'out', 'deliver_sm');
      } catch (err) {
        this.host.log.error({ err, systemId: this.systemId }, 'could not encode a deliver_sm');
        settle(null);
      }
    });
  }

  close(): void {
    if (this.session.closed) return;
    try {
      this.session.send(new smpp.PDU('unbind', {}));
    } catch {
      // the socket is gone already
    }
    this.session.close();
  }

  private onPdu(pdu: Pdu): void {
    this.lastHeardAt = Date.now();
    this.host.counted(this.systemId ?? '', 'in', pdu.command);
    if (pdu.isResponse()) {
      if (pdu.command === 'enquire_link_resp') this.enquireSentAt = null;
      return; // deliver_sm_resp is handled by its send callback
    }
    if (pdu.command === 'enquire_link') return this.answer(pdu, {});
    if (pdu.command === 'unbind') {
      this.answer(pdu, {});
      this.session.close();
      return;
    }
    if (BIND_COMMANDS.has(pdu.command)) return void this.onBind(pdu);
    if (!this.role) return this.answer(pdu, { command_status: SmppStatus['ESME_RINVBNDSTS'] });
    void this.onRequest(pdu);
  }

  private async onBind(pdu: Pdu): Promise<void> {
    if (this.role || this.binding) return this.answer(pdu, { command_status: SmppStatus['ESME_RALYBND'] });
    this.binding = true;
    const systemId = String(pdu['system_id'] ?? '');
    const outcome = await this.host.bind(this, systemId, String(pdu['password'] ?? ''));
    this.binding = false;
    if (this.session.closed) return;
    if (typeof outcome === 'number') {
      this.answer(pdu, { command_status: outcome, system_id: 'telenode' });
      this.session.close();
      return;
    }
    this.systemId = systemId;
    this.user = outcome;
    this.role = pdu.command.slice('bind_'.length) as BindRole;
    this.answer(pdu, { system_id: 'telenode' });
    this.host.bound(this);
  }

  private async onRequest(pdu: Pdu): Promise<void> {
    if (this.pendingRequests >= (this.user?.window ?? 1)) {
      // More unanswered requests than the window allows: refused at once, nothing stored (SMPP 3.4 §2.6).
      return this.answer(pdu, { command_status: SmppStatus['ESME_RTHROTTLED'] });
    }
    this.pendingRequests++;
    try {
      const fields = await this.host.request(this, pdu);
      this.answer(pdu, fields);
    } catch (err) {
      this.host.log.error({ err, systemId: this.systemId, command: pdu.command }, 'SMPP request failed');
      this.answer(pdu, { command_status: SmppStatus['ESME_RSYSERR'] });
    } finally {
      this.pendingRequests--;
    }
  }

  private answer(pdu: Pdu, fields: Record<string, unknown>): void {
    if (this.session.closed) return;
    // A commit answers a burst of submit_sm at once: one write per turn of the event loop.
    coalesceWrites(this.session.socket);
    try {
      this.session.send(pdu.response(fields));
    } catch (err) {
      this.host.log.error({ err, command: pdu.command }, 'could not encode a response');
      this.session.send(pdu.response({ command_status: SmppStatus['ESME_RSYSERR'] }));
    }
    this.host.counted(this.systemId ?? '', 'out', `${pdu.command}_resp`);
  }

  /** SMPP 3.4 §3.3: a request we cannot decode gets its own response with an error (or generic_nack); the session reads on. */
  private onInvalid(raw: Buffer, err: Error): void {
    this.lastHeardAt = Date.now();
    const header = pduHeader(raw);
    this.host.log.warn(
      { source: this.source, systemId: this.systemId, command: header.command ?? `0x${header.commandId.toString(16)}`, reason: err.message },
      'SMPP client sent a PDU we cannot decode; answered with an error',
    );
    if ((header.commandId & 0x80000000) !== 0 || this.session.closed) return;
    this.session.send(
      header.command && smpp.commands[`${header.command}_resp`]
        ? new smpp.PDU(`${header.command}_resp`, { sequence_number: header.sequenceNumber, command_status: SmppStatus['ESME_RINVOPTPARSTREAM'] })
        : new smpp.PDU('generic_nack', { sequence_number: header.sequenceNumber, command_status: SmppStatus['ESME_RINVCMDID'] }),
    );
  }

  private watch(): void {
    const now = Date.now();
    if (!this.role && now - this.openedAt > this.host.bindTimeoutMs) {
      this.host.log.info({ source: this.source }, 'SMPP connection did not bind in time: closed');
      this.session.destroy();
      return;
    }
    if (this.enquireSentAt !== null && now - this.enquireSentAt > this.host.enquireLinkTimeoutMs) {
      this.host.log.warn({ source: this.source, systemId: this.systemId }, 'SMPP client did not answer enquire_link: session closed');
      this.session.destroy();
      return;
    }
    if (this.role && this.enquireSentAt === null && now - this.lastHeardAt > this.host.enquireLinkTimeoutMs) {
      this.enquireSentAt = now;
      this.session.send(new smpp.PDU('enquire_link', {}));
    }
  }

  private onClose(): void {
    clearInterval(this.watchdog);
    for (const settle of [...this.unanswered]) settle();
    this.host.closed(this);
  }
}
