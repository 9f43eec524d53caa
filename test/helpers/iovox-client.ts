/** Calls the IOVOX API the way an existing integration does (headers username/secureKey, XML body). */
import { XMLParser } from 'fast-xml-parser';
import { TEST_USER } from './in-process-daemon.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false });

export interface IovoxReply {
  httpStatus: number;
  contentType: string;
  xml: string;
  /** <sms_activity_id> of a success. */
  activityId: string | undefined;
  /** The error's status attribute and text. */
  error: { status: string; text: string } | undefined;
}

export const IOVOX_AUTH = { username: TEST_USER.username, secureKey: TEST_USER.password };

export async function iovoxRequest(
  base: string,
  body: string | Buffer | undefined,
  options: { query?: string; method?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<IovoxReply> {
  const response = await fetch(`${base}${options.path ?? '/SMS'}?${options.query ?? 'v=3&method=sendSms'}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/xml', ...IOVOX_AUTH, ...options.headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
  });
  const xml = await response.text();
  const doc = parser.parse(xml) as { response?: { sms_activity_id?: string }; errors?: { error?: { status: string; '#text': string } } };
  const error = doc.errors?.error;
  return {
    httpStatus: response.status,
    contentType: response.headers.get('content-type') ?? '',
    xml,
    activityId: doc.response?.sms_activity_id,
    error: error ? { status: String(error.status), text: String(error['#text']) } : undefined,
  };
}

/** A <request> payload from nodes, in order. */
export function iovoxPayload(nodes: Record<string, string>): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const inner = Object.entries(nodes)
    .map(([name, value]) => `    <${name}>${escape(value)}</${name}>`)
    .join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>\n<request>\n${inner}\n</request>`;
}
