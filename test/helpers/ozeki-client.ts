/** Calls the Ozeki API the way an existing integration does, and parses the XML result. */
import { XMLParser } from 'fast-xml-parser';
import type { HttpReceiver } from './http-receiver.js';
import { TEST_USER } from './test-user.js';

const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false });

export interface OzekiReply {
  httpStatus: number;
  contentType: string;
  xml: string;
  root: string;
  code: number;
  message: string;
  /** telenode's <Detail>: what it knows beyond Ozeki's message template (absent when nothing). */
  detail: string | undefined;
  smsId: string | undefined;
}

export function parseOzekiXml(xml: string, httpStatus = 200, contentType = ''): OzekiReply {
  const doc = parser.parse(xml) as Record<string, Record<string, string>>;
  const root = Object.keys(doc).find((k) => k !== '?xml')!;
  const body = doc[root]!;
  return { httpStatus, contentType, xml, root, code: Number(body['Code']), message: String(body['Message']), detail: body['Detail'], smsId: body['SmsId'] };
}

export async function ozekiGet(base: string, query: string, path = '/api'): Promise<OzekiReply> {
  const response = await fetch(`${base}${path}?${query}`);
  return parseOzekiXml(await response.text(), response.status, response.headers.get('content-type') ?? '');
}

export async function ozekiPost(base: string, body: string | Buffer, path = '/api'): Promise<OzekiReply> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return parseOzekiXml(await response.text(), response.status, response.headers.get('content-type') ?? '');
}

export function sendSmsQuery(fields: Record<string, string>): string {
  return new URLSearchParams({ command: 'SendSms', ...fields }).toString();
}

/** SendSms through the node at `base` as `user` (recipient +36301234567 unless given), with a DeliveryReportURL. */
export function sendSmsAs(
  base: string,
  user: { username: string; password: string },
  message: string,
  reportUrl?: string,
  recipient = '+36301234567',
): Promise<OzekiReply> {
  return ozekiGet(
    base,
    sendSmsQuery({
      Username: user.username,
      Password: user.password,
      Recipient: recipient,
      Message: message,
      ...(reportUrl === undefined ? {} : { DeliveryReportURL: reportUrl }),
    }),
  );
}

const callXml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Call' });

/** An Ozeki call command as the test user, its result element parsed (`Code`, `CallId`, `ActiveCalls` …). */
export async function ozekiCallCommand(base: string, fields: Record<string, string>): Promise<Record<string, unknown> & { Code: string }> {
  const response = await fetch(`${base}/api?${new URLSearchParams({ Username: TEST_USER.username, Password: TEST_USER.password, ...fields })}`);
  const doc = callXml.parse(await response.text()) as Record<string, Record<string, unknown> & { Code: string }>;
  return doc[Object.keys(doc).find((k) => k !== '?xml')!]!;
}

/** The `<Call>` rows of ListActiveCalls at `base` (every node's, in a cluster). */
export async function listActiveCalls(base: string): Promise<Array<Record<string, string>>> {
  const result = await ozekiCallCommand(base, { command: 'ListActiveCalls' });
  return ((result['ActiveCalls'] as { Call?: Array<Record<string, string>> } | '') || { Call: [] }).Call ?? [];
}

/** The SmsIds a callback receiver has had an SMSDeliveryReport for (Ozeki's final callback). */
export function deliveryReportIds(receiver: Pick<HttpReceiver, 'requests'>): Set<string> {
  return new Set(receiver.requests.filter((q) => q.form.get('NotificationName') === 'SMSDeliveryReport').map((q) => q.form.get('SmsId')!));
}
