/**
 * What a modem receives: inbound SMS and status reports, stored (+CMTI /
 * +CDSI, then AT+CMGR, hand to the core, AT+CMGD only once the core has
 * stored it; a periodic AT+CMGL sweep for indications that were lost) or
 * routed (+CMT / +CDS with the PDU on the next line, acknowledged with
 * AT+CNMA once stored when the profile runs phase 2+). One item at a time:
 * a memory switch (AT+CPMS) and its read and delete must not interleave.
 */
import type { Logger } from '../../../shared/log.js';
import { isAppError } from '../../../shared/errors.js';
import { MessageStatus } from '../../message.js';
import { encodeGsm7, encodeUcs2, isGsm7Encodable } from '../../encoding/index.js';
import type { ConnectorSink, InboundFragment, ReceiptEvent } from '../connector.js';
import type { AtChannel, UnsolicitedCode } from './at-channel.js';
import type { ModemSession } from './modem-init.js';
import { decodePdu, isSevenBit, reportOutcome, type DecodedDeliver, type DecodedStatusReport, type ReportOutcome } from './pdu/index.js';
import { parseTextRead, type TextDeliver, type TextStatusReport } from './text-mode.js';

/** TP-MR and recipient digits, prefixed by the modem: how a status report names the part it is about (23.040 §9.2.3.6). */
export function modemCarrierId(modemId: string, messageReference: number, recipient: string): string {
  return `${modemId}:${messageReference}@${recipient.replace(/\D/g, '')}`;
}

export interface InboxDeps {
  connectorId: string;
  modemId: string;
  ownNumber: string;
  sink: ConnectorSink;
  log: Logger;
}

const STORED = /^\+(CMTI|CDSI):\s*"?(\w*)"?\s*,\s*(\d+)/;

export class ModemInbox {
  private chain: Promise<void> = Promise.resolve();
  /** Done when the last item the modem announced (+CMTI, +CDSI, +CMT, +CDS) has been handled. */
  private announced: Promise<void> = Promise.resolve();
  /** The sweep queued or running, if any: a sweep that cannot keep up with its interval is not queued twice. */
  private sweeping: Promise<void> | null = null;
  private memory: string;

  constructor(
    private readonly at: AtChannel,
    private readonly session: ModemSession,
    private readonly deps: InboxDeps,
  ) {
    this.memory = session.storage[0]!;
  }

  /** True when the code was an inbound message or report (handled in the background). */
  onUrc(urc: UnsolicitedCode): boolean {
    const stored = STORED.exec(urc.line);
    if (stored) {
      this.announced = this.serially(() => this.readStored(stored[2] || this.memory, Number(stored[3])));
      return true;
    }
    if (urc.data !== undefined && (urc.line.startsWith('+CMT:') || urc.line.startsWith('+CDS:'))) {
      const data = urc.data;
      this.announced = this.serially(() => this.onRouted(data));
      return true;
    }
    return false;
  }

  /** List the storage for messages and reports whose indication never came (27.005 AT+CMGL). */
  sweep(): Promise<void> {
    if (!this.sweeping) {
      this.sweeping = this.serially(() => this.sweepNow()).finally(() => {
        this.sweeping = null;
      });
    }
    return this.sweeping;
  }

  /** Resolves when everything queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * Resolves when what the modem has announced so far is read (and what was queued before it): sends wait
   * for this, not for sweeps queued later, so a slow sweep never holds a send back for more than once.
   */
  announcedHandled(): Promise<void> {
    return this.announced;
  }

  private serially(task: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(task).catch((err: unknown) => {
      this.deps.log.warn({ err: isAppError(err) ? err.toJSON() : err }, 'reading from the modem failed; the sweep will try again');
    });
    return this.chain;
  }

  /** Select the read/delete memory, keeping the others as init chose them (some modems take all three or none). */
  private async useMemory(memory: string): Promise<boolean> {
    if (memory === this.memory) return true;
    try {
      await this.at.send(`AT+CPMS=${[memory, ...this.session.storage.slice(1)].map((m) => `"${m}"`).join(',')}`);
      this.memory = memory;
      return true;
    } catch (err) {
      // A modem without that memory (no "SR" on many): what lives there cannot be read; the caller skips it.
      this.deps.log.debug({ memory, err: isAppError(err) ? err.toJSON() : err }, 'the modem refused AT+CPMS for this memory');
      return false;
    }
  }

  private async readStored(memory: string, index: number): Promise<void> {
    if (!(await this.useMemory(memory))) return;
    const reply = await this.at.send(`AT+CMGR=${index}`);
    if (this.session.messageMode === 'text') {
      const item = parseTextRead(reply.lines);
      if (!item) return;
      await this.handleText(item);
    } else {
      const hex = reply.lines.find((l) => /^[0-9A-F]+$/i.test(l));
      if (!hex) return;
      if (!(await this.handlePdu(hex))) return;
    }
    await this.at.send(`AT+CMGD=${index}`);
  }

  private async sweepNow(): Promise<void> {
    // Reports stored with ds=2 often live in their own memory; it is read whatever AT+CNMI says now,
    // since reports may have been stored there before (another setting, before a restart or a USB drop).
    const memories = [this.session.storage[0]!, 'SR'].filter((m, i, all) => all.indexOf(m) === i);
    for (const memory of memories) {
      if (!(await this.useMemory(memory))) continue;
      if (this.session.messageMode === 'text') {
        const reply = await this.at.send('AT+CMGL="ALL"').catch(() => null);
        const indices = (reply?.lines ?? []).map((l) => /^\+CMGL:\s*(\d+)/.exec(l)?.[1]).filter((i): i is string => i !== undefined);
        for (const index of indices) await this.readStored(memory, Number(index));
        continue;
      }
      const reply = await this.at.send('AT+CMGL=4').catch(() => null);
      const lines = reply?.lines ?? [];
      for (let i = 0; i < lines.length; i++) {
        const entry = /^\+CMGL:\s*(\d+)/.exec(lines[i]!);
        const hex = lines[i + 1];
        if (!entry || hex === undefined || !/^[0-9A-F]+$/i.test(hex)) continue;
        i++;
        if (await this.handlePdu(hex)) await this.at.send(`AT+CMGD=${entry[1]}`);
      }
    }
  }

  private async onRouted(hex: string): Promise<void> {
    try {
      await this.handlePdu(hex);
    } catch (err) {
      // Not acknowledged: the network keeps it and tries again; the modem may have switched routing off meanwhile.
      if (this.session.ackRouted) await this.at.send(`AT+CNMI=${this.session.cnmi}`).catch(() => undefined);
      throw err;
    }
    if (!this.session.ackRouted) return;
    await this.at.send('AT+CNMA').catch(async (err: unknown) => {
      // Too late (a long AT+CMGS held the line): the modem refused it to the network, which sends it again
      // (a duplicate of what was just stored), and switched routing off — switch it back on.
      this.deps.log.warn({ err: isAppError(err) ? err.toJSON() : err }, 'routed message acknowledged too late; the network may deliver it again');
      await this.at.send(`AT+CNMI=${this.session.cnmi}`).catch(() => undefined);
    });
  }

  /** Hand a PDU to the core; true when it is stored (or is nothing of ours) and may be deleted or acknowledged. */
  private async handlePdu(hex: string): Promise<boolean> {
    let pdu;
    try {
      pdu = decodePdu(hex);
    } catch (err) {
      // Kept in the log, not in the storage: an unreadable PDU would otherwise fill it up for good.
      this.deps.log.error({ pdu: hex, err: isAppError(err) ? err.toJSON() : err }, 'undecodable PDU from the modem; deleting it');
      return true;
    }
    if (pdu.type === 'deliver') await this.deps.sink.inbound(this.fragmentOf(pdu));
    else if (pdu.type === 'status-report') await this.deps.sink.receipt(this.receiptOf(pdu));
    else return false; // a stored SMS-SUBMIT (someone's draft): not ours to delete
    return true;
  }

  private async handleText(item: TextDeliver | TextStatusReport): Promise<void> {
    if (item.type === 'status-report') {
      await this.deps.sink.receipt(
        receipt(this.deps, item.messageReference, item.recipient, item.status, reportOutcome(item.status), item.sentAt, item.dischargedAt),
      );
      return;
    }
    const gsm = isGsm7Encodable(item.text);
    await this.deps.sink.inbound({
      connectorId: this.deps.connectorId,
      sender: item.sender,
      recipient: this.deps.ownNumber,
      dataCoding: gsm ? 0 : 8,
      payload: gsm ? encodeGsm7(item.text) : encodeUcs2(item.text),
      concat: null,
      receivedAt: Date.now(),
    });
  }

  private fragmentOf(pdu: DecodedDeliver): InboundFragment {
    return {
      connectorId: this.deps.connectorId,
      sender: pdu.sender.number,
      recipient: this.deps.ownNumber,
      dataCoding: isSevenBit(pdu.dataCoding) ? 0 : pdu.dataCoding,
      payload: pdu.payload,
      concat: pdu.udh?.concat ? { reference: pdu.udh.concat.reference, total: pdu.udh.concat.total, seq: pdu.udh.concat.seq } : null,
      receivedAt: Date.now(),
    };
  }

  private receiptOf(report: DecodedStatusReport): ReceiptEvent {
    return receipt(this.deps, report.messageReference, report.recipient.number, report.status, report.outcome, report.sentAt.utcMs, report.dischargedAt.utcMs);
  }
}

const REPORT_STATUS: Record<ReportOutcome, MessageStatus> = {
  delivered: MessageStatus.Delivered,
  failed: MessageStatus.Failed,
  expired: MessageStatus.Expired,
  trying: MessageStatus.Buffered,
};
/** The SMPP receipt words for the same outcomes, so callbacks read alike whatever carried the message. */
const REPORT_STAT: Record<ReportOutcome, string> = { delivered: 'DELIVRD', failed: 'UNDELIV', expired: 'EXPIRED', trying: 'ENROUTE' };

function receipt(
  deps: InboxDeps,
  mr: number,
  recipient: string,
  status: number,
  outcome: ReportOutcome,
  sentAt: number | null,
  doneAt: number | null,
): ReceiptEvent {
  return {
    connectorId: deps.connectorId,
    carrierId: modemCarrierId(deps.modemId, mr, recipient),
    // TP-MR wraps at 256: the report is about the latest part sent with this reference to this number.
    idRecycles: true,
    status: REPORT_STATUS[outcome],
    stat: REPORT_STAT[outcome],
    err: status.toString(16).padStart(2, '0'),
    submitDate: sentAt,
    doneDate: doneAt,
    text: null,
  };
}
