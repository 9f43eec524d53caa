/**
 * Ozeki 10's SMS-gateway commands (ozeki-ozml.md §3.4; ozeki.hu p_7648, p_7646):
 *
 * - `SendMessage` — `MessageData`, `Recipient` (several, comma-separated), `Originator`,
 *   `MessageType` (only `SMS:TEXT`). Every recipient is validated before any is accepted; each
 *   accepted message is on disk before the answer, which carries one `acceptreport` per recipient.
 * - `ReceiveMessage` — polls the user's inbox: SMS received on a number the user owns (`users[].numbers`),
 *   oldest first, at most `Limit` (default 100, at most 1,000). `AfterDownload=delete` or `markdownloaded`
 *   takes them out of this user's inbox in the same commit that reads them (they stay in every history);
 *   `leave` or none leaves them to be downloaded again. `Folder` is `inbox` (default) or one of the sent
 *   folders: `outbox`, `sent`, `notsent` list the user's sent messages, paged with `Offset`.
 *
 * A recipient the node refuses (quota, no route, text too long) gets an `acceptreport` with statuscode 1 and
 * the reason while the others go out; when every recipient is refused the answer is the command's own
 * error, as for SendSms.
 *
 * The Ozeki 10 command pages show the command's `Code`/`Message` result and cut the list off; the list is
 * written as Ozeki's SMS gateway documents it (`<data>` with `<acceptreport>` or `<message>` elements,
 * lower-case names, ozekisms.com p_2421/p_413), inside the Ozeki 10 result.
 */
import { ErrorCode, isAppError } from '../../shared/errors.js';
import type { AfterDownload } from '../../store/inbox-repo.js';
import { MessageStatus } from '../../sms/message.js';
import { validateRecipient, validateSender } from '../../sms/validate.js';
import { intParam, invalidParameter, SENT_FOLDERS, type OzekiCommandContext, type OzekiResult, type SentFolder } from './command.js';
import { ozekiStatusWord } from './notifications.js';
import { OzekiCode, ozekiTime } from './xml.js';

const TEXT_TYPE = 'SMS:TEXT';
const MAX_RECIPIENTS = 100;

export async function sendMessageCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const { params } = ctx;
  expectAction(ctx, 'sendmessage');
  const type = params.get('MessageType')?.trim() || TEXT_TYPE;
  if (type.toUpperCase() !== TEXT_TYPE) throw invalidParameter('MessageType', `telenode sends ${TEXT_TYPE} messages only`);
  if (params.get('MessageCount') !== undefined) throw invalidParameter('MessageCount', 'send one text to comma-separated recipients instead');
  const text = params.get('MessageData');
  if (text === undefined || text.length === 0) throw invalidParameter('MessageData', 'MessageData is required');
  const recipients = (params.get('Recipient') ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (recipients.length === 0) throw invalidParameter('Recipient', 'Recipient is required');
  if (recipients.length > MAX_RECIPIENTS) throw invalidParameter('Recipient', `at most ${MAX_RECIPIENTS} recipients a request`);
  for (const recipient of recipients) {
    const error = validateRecipient(recipient);
    if (error) throw invalidParameter('Recipient', `${recipient}: ${error}`);
  }
  const sender = params.get('Originator')?.trim() || null;
  if (sender) {
    const error = validateSender(sender);
    if (error) throw invalidParameter('Originator', error);
  }
  const reports: Array<Record<string, unknown>> = [];
  let firstRefusal: unknown = null;
  for (const recipient of recipients) {
    try {
      const message = await ctx.deps.outbox.accept({ user: ctx.username, dialect: 'ozeki', sender, recipient, text, callbackUrl: null });
      reports.push({ statuscode: 0, statusmessage: 'Message accepted for delivery', messageid: message.id, recipient, messagetype: TEXT_TYPE });
    } catch (err) {
      // Our own failure (store, shutdown) is the request's; a refusal (quota, route, too long) is this recipient's.
      if (!isAppError(err) || err.retryable || err.code === ErrorCode.SHUTTING_DOWN) throw err;
      firstRefusal ??= err;
      reports.push({ statuscode: 1, statusmessage: err.message, recipient, messagetype: TEXT_TYPE });
    }
  }
  // Nothing accepted: the command's own error, as SendSms answers it.
  if (reports.every((r) => r['statuscode'] !== 0)) throw firstRefusal;
  return { code: OzekiCode.Ok, extra: { data: { acceptreport: reports } } };
}

export async function receiveMessageCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const { params } = ctx;
  expectAction(ctx, 'receivemessage');
  const folder = params.get('Folder')?.trim().toLowerCase() || 'inbox';
  const limit = intParam(params.get('Limit'), 100, 1, 1000, 'Limit');
  const after = afterDownload(params.get('AfterDownload'));
  if (folder !== 'inbox') return sentFolder(ctx, folder, limit, after);
  const entries = await ctx.deps.inbox.download(ctx.username, limit, after);
  const messages = entries.map((m) => ({
    ...gatewayMessage(m),
    // The carrier's own send time is not kept: both are when telenode received it.
    senttime: ozekiTime(m.receivedAt),
    receivedtime: ozekiTime(m.receivedAt),
  }));
  return { code: OzekiCode.Ok, extra: { data: messages.length > 0 ? { message: messages } : '' } };
}

/**
 * The user's sent messages as Ozeki's `outbox`, `sent` and `notsent` folders: oldest first, `Limit` of them from
 * `Offset` (telenode's addition, for paging), with `<totalrecords>`. Nothing is taken out of these folders: they
 * are the message history, so `AfterDownload` may only leave them.
 */
async function sentFolder(ctx: OzekiCommandContext, folder: string, limit: number, after: AfterDownload): Promise<OzekiResult> {
  if (!(folder in SENT_FOLDERS)) throw invalidParameter('Folder', 'Folder is inbox, outbox, sent or notsent');
  if (after !== 'leave') throw invalidParameter('AfterDownload', `the ${folder} folder is the message history: AfterDownload may only leave it`);
  const offset = intParam(ctx.params.get('Offset'), 0, 0, 1_000_000_000, 'Offset');
  const { total, entries } = await ctx.deps.inbox.folder(ctx.username, folder as SentFolder, limit, offset);
  const messages = entries.map((m) => ({
    ...gatewayMessage(m),
    // Accepted by telenode, and first taken by a carrier (empty while it waits).
    receivedtime: ozekiTime(m.at),
    senttime: m.submittedAt === null ? '' : ozekiTime(m.submittedAt),
    status: ozekiStatusWord({ status: m.status ?? MessageStatus.Accepted, errorCode: m.errorCode }),
  }));
  return { code: OzekiCode.Ok, extra: { totalrecords: String(total), data: messages.length > 0 ? { message: messages } : '' } };
}

/** The fields every `<message>` of ReceiveMessage has, received or sent, in Ozeki's SMS gateway words. */
function gatewayMessage(m: { id: string; sender: string; recipient: string; text: string }): Record<string, string> {
  return { messageid: m.id, originator: m.sender, recipient: m.recipient, messagetype: TEXT_TYPE, messagedata: m.text };
}

/** `delete` and the mark-as-downloaded spellings take messages out of the inbox; anything else leaves them. */
function afterDownload(raw: string | undefined): AfterDownload {
  const value =
    raw
      ?.trim()
      .toLowerCase()
      .replace(/[^a-z]/g, '') ?? '';
  if (value === 'delete' || value === 'deleted') return 'delete';
  if (['markdownloaded', 'markasdownloaded', 'downloaded', 'mark', 'markread', 'markasread', 'read'].includes(value)) return 'mark';
  if (value === '' || value === 'leave' || value === 'none' || value === 'leaveuntouched' || value === 'untouched') return 'leave';
  throw invalidParameter('AfterDownload', 'AfterDownload is delete, markdownloaded or leave');
}

/** The pages list `Action` with the command; it may be left out, but it must not name another action. */
function expectAction(ctx: OzekiCommandContext, action: string): void {
  const given = ctx.params.get('Action')?.trim().toLowerCase();
  if (given && given !== action) throw invalidParameter('Action', `Action must be ${action} for ${ctx.command}`);
}
