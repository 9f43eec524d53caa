/** IOVOX's extra callback headers, shared by the SMS API (callback_url_headers) and the sendSms rule (callbackUrlHeaders). */

/**
 * callback_url_headers: "Content-Type: application/json,X-Custom-Header: iovox".
 * Split on commas; a piece without a colon continues the previous value, so a
 * value that itself holds a comma ("Accept: a, b") survives. Returns null when
 * a name is not an HTTP token, a value holds a control character, or the
 * header is one that steers telenode's own request rather than describing
 * the callback: the target (Host), credentials (Authorization, Cookie), the
 * message framing (Content-Length, Transfer-Encoding: a wrong one made the
 * callback undeliverable) and hop-by-hop headers (RFC 9110 §7.6.1), or our
 * signature.
 */
const RESERVED = new Set([
  'host',
  'authorization',
  'proxy-authorization',
  'cookie',
  'content-length',
  'transfer-encoding',
  'te',
  'trailer',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'proxy-connection',
  'x-telenode-signature',
]);

export function parseCallbackHeaders(value: string): Record<string, string> | null {
  const headers: Array<[string, string]> = [];
  for (const piece of value.split(',')) {
    const colon = piece.indexOf(':');
    if (colon < 0) {
      if (headers.length === 0) return null;
      headers[headers.length - 1]![1] += `,${piece}`;
      continue;
    }
    headers.push([piece.slice(0, colon).trim(), piece.slice(colon + 1)]);
  }
  const result: Record<string, string> = {};
  for (const [name, raw] of headers) {
    const headerValue = raw.trim();
    // RFC 9110 §5.1 token; §5.5 field values exclude CR, LF and NUL.
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(headerValue)) return null;
    if (RESERVED.has(name.toLowerCase()) || /^(proxy|sec)-/i.test(name)) return null;
    result[name] = headerValue;
  }
  return result;
}
