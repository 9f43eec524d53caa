/**
 * Voximplant GetSmsHistory and A2PGetSmsHistory (Voximplant's Management API reference) over the one
 * message history (store/message-history-repo.ts): every message the user
 * sent through any dialect, and (GetSmsHistory) every message received on
 * the user's numbers. `message_id` is the message's history number; dates are
 * `yyyy-MM-dd HH:mm:ss` UTC both ways; `output=csv` answers text/csv with the
 * same columns and the total in an `X-Total-Count` header.
 */
import { MessageStatus } from '../../sms/message.js';
import type { HistoryDirection, HistoryEntry, HistoryQuery } from '../../store/message-history-repo.js';
import type { Params } from '../http/request-params.js';
import type { VoximplantAnswer, VoximplantCall } from './method.js';
import { integerParam, invalidArgument } from './params.js';

/** Seed 003: "Must be not bigger than 1000. If left blank, then the default value of 1000 is used." */
export const HISTORY_MAX_COUNT = 1000;

/**
 * A2P delivery statuses, ids exactly as Voximplant's Management API reference lists them, and which of our
 * messages each one covers. `refused`: the message never reached the network (we or the carrier turned it
 * down at submission, or it expired in our queue) — as opposed to one the carrier took whose receipt said
 * it failed, or whose validity ran out on the way (EXPIRED, not ABORTED).
 */
export const DELIVERY_STATUSES: ReadonlyArray<{ id: number; name: string; statuses: readonly MessageStatus[]; refused?: boolean }> = [
  { id: 1, name: 'QUEUED', statuses: [MessageStatus.Accepted] },
  { id: 2, name: 'DISPATCHED', statuses: [MessageStatus.Submitted, MessageStatus.Buffered] },
  { id: 3, name: 'ABORTED', statuses: [MessageStatus.Expired], refused: true },
  { id: 4, name: 'REJECTED', statuses: [MessageStatus.Failed], refused: true },
  { id: 5, name: 'DELIVERED', statuses: [MessageStatus.Delivered] },
  { id: 6, name: 'FAILED', statuses: [MessageStatus.Failed], refused: false },
  { id: 7, name: 'EXPIRED', statuses: [MessageStatus.Expired], refused: false },
  { id: 8, name: 'UNKNOWN', statuses: [MessageStatus.Unknown] },
];

export function deliveryStatusOf(entry: Pick<HistoryEntry, 'status' | 'submittedAt'>): string {
  const found = DELIVERY_STATUSES.find(
    (d) => entry.status !== null && d.statuses.includes(entry.status) && (d.refused === undefined || d.refused === (entry.submittedAt === null)),
  );
  return found?.name ?? 'UNKNOWN';
}

/** status_id: 1 success, 2 error, 3 waiting (Voximplant's SmsHistory). Received messages are a success. */
function statusIdOf(entry: HistoryEntry): string {
  if (entry.direction === 'in' || entry.status === MessageStatus.Delivered) return '1';
  if (entry.status === MessageStatus.Failed || entry.status === MessageStatus.Expired) return '2';
  return '3';
}

const SMS_HISTORY_COLUMNS = [
  'message_id',
  'source_number',
  'destination_number',
  'direction',
  'fragments',
  'cost',
  'status_id',
  'error_message',
  'processed_date',
  'text',
] as const;

const A2P_HISTORY_COLUMNS = [
  'message_id',
  'source_number',
  'destination_number',
  'fragments',
  'cost',
  'status_id',
  'error_message',
  'processing_date',
  'transaction_id',
  'delivery_status',
  'text',
] as const;

export async function getSmsHistory(call: VoximplantCall): Promise<VoximplantAnswer> {
  const { params } = call;
  const rawDirection = params.get('direction')?.trim();
  let direction: HistoryDirection | undefined;
  if (rawDirection) {
    if (!/^(in|out)$/i.test(rawDirection)) throw invalidArgument('direction', "must be 'IN' or 'OUT'");
    direction = rawDirection.toLowerCase() as HistoryDirection;
  }
  const query = { ...commonQuery(call), direction };
  const output = outputOf(params);
  const { total, entries } = await call.deps.history.list(query);
  const rows = entries.map((entry) => ({
    message_id: entry.seq,
    source_number: entry.sender,
    destination_number: entry.recipient,
    direction: entry.direction.toUpperCase(),
    fragments: entry.parts,
    cost: 0,
    status_id: statusIdOf(entry),
    ...optional('error_message', entry.errorText),
    processed_date: formatVoximplantDate(entry.at),
    ...optional('text', visibleText(entry)),
  }));
  return answer(output, rows, total, SMS_HISTORY_COLUMNS);
}

export async function a2pGetSmsHistory(call: VoximplantCall): Promise<VoximplantAnswer> {
  const { params } = call;
  const query: HistoryQuery = { ...commonQuery(call), direction: 'out' };
  const statusId = integerParam(params, 'delivery_status', 1, DELIVERY_STATUSES.length, 0);
  if (statusId !== 0) {
    const wanted = DELIVERY_STATUSES.find((d) => d.id === statusId)!;
    query.statuses = wanted.statuses;
    if (wanted.refused !== undefined) query.refused = wanted.refused;
  }
  const output = outputOf(params);
  const { total, entries } = await call.deps.history.list(query);
  const rows = entries.map((entry) => ({
    message_id: entry.seq,
    source_number: entry.sender,
    destination_number: entry.recipient,
    fragments: entry.parts,
    cost: 0,
    status_id: statusIdOf(entry),
    ...optional('error_message', entry.errorText),
    processing_date: formatVoximplantDate(entry.at),
    transaction_id: entry.seq,
    delivery_status: deliveryStatusOf(entry),
    ...optional('text', visibleText(entry)),
  }));
  return answer(output, rows, total, A2P_HISTORY_COLUMNS);
}

/** The filters both methods share. */
function commonQuery(call: VoximplantCall): HistoryQuery {
  const { params, username, deps } = call;
  const fromMs = dateParam(params, 'from_date');
  const toDate = dateParam(params, 'to_date');
  return {
    user: username,
    ownNumbers: deps.users.numbersOf(username),
    sender: params.get('source_number')?.trim() || undefined,
    recipient: params.get('destination_number')?.trim() || undefined,
    fromMs,
    // The date names a whole second: a message at 12:00:00.400 is "at 12:00:00".
    toMs: toDate === undefined ? undefined : toDate + 999,
    limit: integerParam(params, 'count', 0, HISTORY_MAX_COUNT, HISTORY_MAX_COUNT),
    offset: integerParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
  };
}

/** Text is shown unless the message was sent with store_body=false. */
function visibleText(entry: HistoryEntry): string | null {
  return entry.meta['storeBody'] === false ? null : entry.text;
}

function optional(name: string, value: string | null): Record<string, string> {
  return value === null || value === '' ? {} : { [name]: value };
}

function outputOf(params: Params): 'json' | 'csv' {
  const output = params.get('output')?.trim().toLowerCase() || 'json';
  if (output !== 'json' && output !== 'csv') throw invalidArgument('output', `'${output.slice(0, 20)}' is not supported; use json or csv`);
  return output;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `yyyy-MM-dd HH:mm:ss` in UTC → epoch ms; a date that does not exist (02-30, 24:00:00) is refused. */
export function parseVoximplantDate(value: string): number | null {
  const m = DATE.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return formatVoximplantDate(ms) === value ? ms : null;
}

export function formatVoximplantDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function dateParam(params: Params, name: string): number | undefined {
  const value = params.get(name)?.trim();
  if (value === undefined || value === '') return undefined;
  const ms = parseVoximplantDate(value);
  if (ms === null) throw invalidArgument(name, `'${value.slice(0, 30)}' is not a date in the format yyyy-MM-dd HH:mm:ss`);
  return ms;
}

function answer(output: 'json' | 'csv', rows: Array<Record<string, unknown>>, total: number, columns: readonly string[]): VoximplantAnswer {
  if (output === 'json') return { json: { result: rows, total_count: total } };
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => csvField(row[c])).join(','))];
  return { csv: `${lines.join('\r\n')}\r\n`, totalCount: total };
}

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes. */
function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
