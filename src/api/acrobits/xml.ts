/**
 * The Acrobits app's XML form of an answer, for requests whose Accept asks for XML and not JSON: the JSON
 * object's keys as elements, a list's items as `<sms>` elements. Text is escaped, and characters XML 1.0
 * cannot carry (W3C XML 1.0 §2.2: most C0 controls) become U+FFFD: an SMS text may hold anything.
 */
import type { FastifyRequest } from 'fastify';

export function wantsXml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /xml/i.test(accept) && !/json/i.test(accept);
}

export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function toAcrobitsXml(body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<response>${element(body)}</response>`;
}

function element(value: Record<string, unknown>): string {
  let xml = '';
  for (const [key, item] of Object.entries(value)) {
    if (Array.isArray(item)) xml += `<${key}>${item.map((entry) => `<sms>${element(entry as Record<string, unknown>)}</sms>`).join('')}</${key}>`;
    else if (item !== null && typeof item === 'object') xml += `<${key}>${element(item as Record<string, unknown>)}</${key}>`;
    else xml += `<${key}>${escapeXml(String(item))}</${key}>`;
  }
  return xml;
}
