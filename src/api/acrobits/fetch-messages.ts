/**
 * Acrobits Fetch Messages: the SMS received on the account's numbers
 * (users[].numbers), in the JSON the app reads:
 *
 *   {"date": "2026-11-22T15:04:05Z",
 *    "unread_smss": [{"sms_id": "42", "sending_date": "…Z", "sender": "+3630…",
 *                     "sms_text": "…", "content_type": "text/plain"}]}
 *
 * and `sent_smss` (the same fields with `recipient` for `sender`): what the
 * account sent, through any dialect, so a second device of the same account
 * shows the conversation whole.
 *
 * `sms_id` is the message's history number. The app passes the newest one it
 * has of each list back (`last_known_sms_id`, `last_known_sent_sms_id`) and
 * gets what came after it, oldest first, at most `acrobits.fetchLimit` per
 * list; without one it gets the newest `fetchLimit`. The answer is XML
 * instead when the request's Accept asks for XML and not JSON.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { HistoryEntry } from '../../store/message-history-repo.js';
import type { AcrobitsCall } from './service.js';

export async function fetchMessages(call: AcrobitsCall): Promise<Record<string, unknown>> {
  const { params, deps } = call;
  const names = deps.acrobits.params;
  const received = await entriesAfter(call, 'in', lastKnown(params.get(names.lastKnownSmsId), names.lastKnownSmsId));
  const sent = await entriesAfter(call, 'out', lastKnown(params.get(names.lastKnownSentSmsId), names.lastKnownSentSmsId));
  return {
    date: acrobitsDate(Date.now()),
    unread_smss: received.map((entry) => ({
      sms_id: String(entry.seq),
      sending_date: acrobitsDate(entry.at),
      sender: entry.sender,
      sms_text: entry.text,
      content_type: 'text/plain',
    })),
    sent_smss: sent.map((entry) => ({
      sms_id: String(entry.seq),
      sending_date: acrobitsDate(entry.at),
      recipient: entry.recipient,
      sms_text: entry.text,
      content_type: 'text/plain',
    })),
  };
}

/** A `last_known_…` id: empty (none yet) or a history number; anything else is the app's bad request. */
function lastKnown(value: string | undefined, name: string): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(text)) throw new AppError(ErrorCode.REQUEST_INVALID, `Invalid ${name}`, { details: { field: name } });
  return Number(text);
}

/** After `afterSeq`, oldest first; without one, the newest `fetchLimit`, oldest first. */
async function entriesAfter({ username, deps }: AcrobitsCall, direction: 'in' | 'out', afterSeq: number | undefined): Promise<HistoryEntry[]> {
  const { entries } = await deps.history.list({
    user: username,
    ownNumbers: deps.users.numbersOf(username),
    direction,
    afterSeq,
    newestFirst: afterSeq === undefined,
    limit: deps.acrobits.fetchLimit,
    offset: 0,
  });
  return afterSeq === undefined ? entries.reverse() : entries;
}

/** ISO 8601 UTC without fractions, as the app's examples write it. */
function acrobitsDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
