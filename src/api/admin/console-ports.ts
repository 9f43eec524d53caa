/**
 * What the console's endpoints need of the node, as small ports the composition root fills in
 * (src/app/console.ts): the api/ layer reads the store only through them.
 */
import type { MessageEvent, MessagePart, StoredMessage } from '../../sms/message.js';
import type { CallHistoryQuery, CallHistoryRow } from '../../store/call-history-repo.js';
import type { WebhookRow } from '../../webhooks/webhook.js';
import type { ActiveCall } from '../../voice/ozml/call-api.js';

export interface MessageSearch {
  id?: string;
  recipient?: string;
  sender?: string;
  status?: string;
  dialect?: string;
  user?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

export interface MessageDetail {
  message: StoredMessage;
  parts: MessagePart[];
  events: MessageEvent[];
  callbacks: WebhookRow[];
}

export interface ConsoleMessages {
  search(filter: MessageSearch): Promise<{ total: number; rows: StoredMessage[] }>;
  detail(id: string): Promise<MessageDetail | null>;
}

export interface FailingDestination {
  url: string;
  pending: number;
  oldestAt: number;
  lastStatus: number | null;
  lastError: string | null;
}

export interface ConsoleCallbacks {
  failing(): Promise<FailingDestination[]>;
  dead(limit: number): Promise<WebhookRow[]>;
  /** Dead letters back in the queue (these ids, or every one for a URL); returns how many. */
  replay(selection: { ids: readonly number[] } | { url: string }): Promise<number>;
}

export interface ConsoleCalls {
  engine: string;
  active(): ActiveCall[];
  hangup(callId: string): Promise<void>;
  history(query: CallHistoryQuery): Promise<{ total: number; rows: CallHistoryRow[] }>;
}

export interface TestSend {
  sender?: string;
  recipient: string;
  text: string;
}

export interface Recording {
  /** The file's name in the recordings folder: `<callId>-<epoch ms>.wav`. */
  name: string;
  callId: string;
  startedAt: number;
  bytes: number;
}

export interface ConsoleRecordings {
  /** Newest first; of one call when `callId` is given. */
  list(callId?: string): Promise<Recording[]>;
  /** The file as a stream, or null when there is no recording of that name. */
  open(name: string): Promise<{ stream: NodeJS.ReadableStream; bytes: number } | null>;
}
