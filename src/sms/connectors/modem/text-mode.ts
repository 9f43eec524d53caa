/**
 * Text mode (AT+CMGF=1, 3GPP TS 27.005 §3.1, §4), the fallback for devices
 * without PDU mode. The modem builds the PDU itself, so only what text mode
 * can say is possible:
 *
 * - one-part messages only: text mode has no user data header, so a long
 *   message cannot be concatenated (a part of a longer message is refused);
 * - GSM text only, and of it only the characters that are also printable
 *   ASCII (AT+CSCS="IRA"): the extension characters ([ ] { } \ ^ ~ | €)
 *   need an ESC byte, which would abort the `> ` prompt, and everything
 *   outside ASCII depends on each firmware's character conversion;
 * - inbound messages arrive as the modem renders them in IRA: GSM text
 *   reads correctly, UCS-2 texts and concatenation headers do not survive,
 *   and blank lines inside a text are lost.
 *
 * A refused part fails permanently with TN_ERR_MODEM_TEXT_MODE; in a pool it
 * goes to a modem in PDU mode instead.
 */
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { decodeGsm7 } from '../../encoding/index.js';
import type { SubmitPart } from '../connector.js';
import { relativeValidity } from './pdu/index.js';

/** Printable ASCII that is also in the GSM default table (no `, no extension characters), plus line breaks. */
const TEXT_MODE_CHARS = /^[\n\r A-Za-z0-9@$_!"#%&'()*+,\-./:;<=>?]*$/;

/** Why this part cannot go out in text mode, or null when it can. */
export function textModeRefusal(part: Pick<SubmitPart, 'partsTotal' | 'dataCoding' | 'payload'>): string | null {
  if (part.partsTotal > 1) return 'text mode cannot send a concatenated message (no user data header)';
  if (part.dataCoding !== 0) return 'text mode sends GSM text only, not UCS-2';
  if (!TEXT_MODE_CHARS.test(decodeGsm7(part.payload))) return 'text mode sends printable ASCII only (no extension characters, accents or emoji)';
  return null;
}

export interface TextModeSubmit {
  /** AT+CSMP=<fo>,<vp>,<pid>,<dcs>: status report request and validity for the next AT+CMGS. */
  csmp: string;
  command: string;
  body: string;
}

export function textModeSubmit(part: SubmitPart, now = Date.now()): TextModeSubmit {
  const refusal = textModeRefusal(part);
  if (refusal) throw new AppError(ErrorCode.MODEM_TEXT_MODE, refusal, { details: { messageId: part.messageId } });
  // First octet as in PDU mode: SMS-SUBMIT, relative validity, TP-SRR when a report is wanted.
  const firstOctet = 0x11 | (part.wantReceipt ? 0x20 : 0);
  const validity = part.validUntil === null ? 167 : relativeValidity(Math.max(5, Math.round((part.validUntil - now) / 60_000)));
  const compact = part.recipient.replace(/[\s\-().]/g, '');
  const toa = compact.startsWith('+') ? 145 : 129;
  return {
    csmp: `AT+CSMP=${firstOctet},${validity},0,0`,
    command: `AT+CMGS="${compact}",${toa}`,
    body: decodeGsm7(part.payload).replace(/\r?\n/g, '\r'),
  };
}

export interface TextDeliver {
  type: 'deliver';
  sender: string;
  sentAt: number | null;
  text: string;
}

export interface TextStatusReport {
  type: 'status-report';
  messageReference: number;
  recipient: string;
  sentAt: number | null;
  dischargedAt: number | null;
  status: number;
}

/**
 * A text-mode AT+CMGR reply: `+CMGR: <stat>,<oa>,[<alpha>],<scts>` and the
 * text lines, or a report `+CMGR: <stat>,<fo>,<mr>,[<ra>],[<tora>],<scts>,<dt>,<st>`
 * (27.005 §3.4.3 / §4.1). Null for anything else (a stored SMS-SUBMIT).
 */
export function parseTextRead(lines: readonly string[]): TextDeliver | TextStatusReport | null {
  const headerAt = lines.findIndex((l) => l.startsWith('+CMGR:'));
  if (headerAt < 0) return null;
  const fields = splitFields(lines[headerAt]!.slice('+CMGR:'.length));
  const stat = fields[0] ?? '';
  if (/^\d+$/.test(fields[1] ?? '')) {
    // Second field numeric: a status report (<fo>); its status is the last field.
    return {
      type: 'status-report',
      messageReference: Number(fields[2]),
      recipient: fields[3] ?? '',
      sentAt: parseTextTimestamp(fields[5] ?? ''),
      dischargedAt: parseTextTimestamp(fields[6] ?? ''),
      status: Number(fields[7] ?? 0),
    };
  }
  if (!/REC/i.test(stat)) return null;
  return { type: 'deliver', sender: fields[1] ?? '', sentAt: parseTextTimestamp(fields[3] ?? ''), text: lines.slice(headerAt + 1).join('\n') };
}

/** Comma-separated fields, quotes removed; commas inside quotes ("26/11/22,10:00:00+04") kept. */
export function splitFields(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text.trim()) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

/** "yy/MM/dd,hh:mm:ss±zz" (zz in quarter hours) → epoch ms, or null. */
export function parseTextTimestamp(value: string): number | null {
  const m = /^(\d{2})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})([+-]\d{1,2})?$/.exec(value.trim());
  if (!m) return null;
  const zoneMinutes = Number(m[7] ?? 0) * 15;
  return Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - zoneMinutes * 60_000;
}

/** The same form for the simulator: `utcMs` seen in a zone `zoneMinutes` east of UTC. */
export function formatTextTimestamp(utcMs: number, zoneMinutes = 0): string {
  const d = new Date(utcMs + zoneMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  const quarters = Math.round(zoneMinutes / 15);
  return `${two(d.getUTCFullYear() % 100)}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())},${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${quarters < 0 ? '-' : '+'}${two(Math.abs(quarters))}`;
}
