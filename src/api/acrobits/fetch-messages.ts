/**
 * Acrobits Fetch Messages: the SMS received on the account's numbers
 * (users[].numbers), in the JSON the app reads:
 *
 *   {"date": "2026-11-22T15:04:05Z",
 *    "unread_smss": [{"sms_id": "42", "sending_date": "…Z", "sender": "+3630…",
 *                     "sms_text": "…", "content_type": "text/plain"}]}
 *
 * `sms_id` is the message's history number. The app passes the newest one it
 * has back as `last_known_sms_id` and gets what came after it, oldest first,
 * at most `acrobits.fetchLimit` per call; without one it gets the newest
 * `fetchLimit` messages. Messages the account sends are not echoed back
 * (Send Message answers no id the app could match them with).
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { AcrobitsCall } from './service.js';

export async function fetchMessages(call: AcrobitsCall): Promise<Record<string, unknown>> {
  const { params, username, deps } = call;
  const lastKnown = params.get(deps.acrobits.params.lastKnownSmsId)?.trim() ?? '';
  if (lastKnown !== '' && !/^[0-9]{1,15}$/.test(lastKnown)) {
    throw new AppError(ErrorCode.REQUEST_INVALID, `Invalid ${deps.acrobits.params.lastKnownSmsId}`, { details: { field: 'lastKnownSmsId' } });
  }
  const afterSeq = lastKnown === '' ? undefined : Number(lastKnown);
  const { entries } = await deps.history.list({
    user: username,
    ownNumbers: deps.users.numbersOf(username),
    direction: 'in',
    afterSeq,
    newestFirst: afterSeq === undefined,
    limit: deps.acrobits.fetchLimit,
    offset: 0,
  });
  if (afterSeq === undefined) entries.reverse();
  return {
    date: acrobitsDate(Date.now()),
    unread_smss: entries.map((entry) => ({
      sms_id: String(entry.seq),
      sending_date: acrobitsDate(entry.at),
      sender: entry.sender,
      sms_text: entry.text,
      content_type: 'text/plain',
    })),
  };
}

/** ISO 8601 UTC without fractions, as the app's examples write it. */
function acrobitsDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
