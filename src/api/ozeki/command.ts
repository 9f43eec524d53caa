/**
 * The contract between the Ozeki transport (routes.ts) and each command's
 * handler: what a command gets and what it answers. Its own module so the
 * handlers and the registry that lists them do not import each other.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Outbox } from '../../sms/outbox.js';
import type { AddressBook } from '../../contacts/address-book.js';
import type { OutboundEmail } from '../../email/outbound-email.js';
import type { OzmlCallApi } from '../../voice/ozml/call-api.js';
import type { UserDirectory } from '../http/auth.js';
import type { Params } from '../http/request-params.js';
import type { CallPeers } from './call-peers.js';
import type { OzekiCode } from './xml.js';
import type { ExtensionSummary } from './extension-model.js';
import type { AfterDownload, InboxEntry } from '../../store/inbox-repo.js';
import type { HistoryEntry } from '../../store/message-history-repo.js';
import { MessageStatus } from '../../sms/message.js';

/**
 * Ozeki's SMS folders besides the inbox, over the messages a user sent: `outbox` waiting for a carrier, `sent`
 * taken by one (delivered or not yet known), `notsent` failed or expired.
 */
export const SENT_FOLDERS = {
  outbox: [MessageStatus.Accepted],
  sent: [MessageStatus.Submitted, MessageStatus.Buffered, MessageStatus.Delivered, MessageStatus.Unknown],
  notsent: [MessageStatus.Failed, MessageStatus.Expired],
} as const;
export type SentFolder = keyof typeof SENT_FOLDERS;

export interface OzekiDeps {
  outbox: Outbox;
  users: UserDirectory;
  log: Logger;
  contacts: AddressBook;
  /** The call commands' backend; null when voice is disabled. */
  calls: OzmlCallApi | null;
  /** SendEmail; null without email.smtp. */
  emails: OutboundEmail | null;
  /** ListExtensions: the node's parts as Ozeki extensions, as they are now. */
  extensions: () => ExtensionSummary[];
  /** The other nodes of a cluster, for calls they run; absent on a single node. */
  callPeers?: CallPeers;
  /** ReceiveMessage: the user's received SMS not downloaded yet, oldest first, marked as `after` says in the same commit. */
  inbox: {
    download(user: string, limit: number, after: AfterDownload): Promise<InboxEntry[]>;
    /** ReceiveMessage's other folders: what the user sent, oldest first, `limit` from `offset`, and how many in all. */
    folder(user: string, folder: SentFolder, limit: number, offset: number): Promise<{ total: number; entries: HistoryEntry[] }>;
  };
}

export interface OzekiResult {
  code: OzekiCode;
  message?: string;
  extra?: Record<string, unknown>;
}

export interface OzekiCommandContext {
  command: string;
  params: Params;
  username: string;
  deps: OzekiDeps;
}

export type OzekiCommand = (ctx: OzekiCommandContext) => Promise<OzekiResult>;

export function invalidParameter(field: string, why: string): AppError {
  return new AppError(ErrorCode.REQUEST_INVALID, why, { details: { field } });
}

/** An optional integer parameter within [min, max]; absent or empty gives `fallback`. */
export function intParam(raw: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidParameter(name, `${name} must be an integer ${min}-${max}`);
  return n;
}
