/**
 * An `application/x-www-form-urlencoded` body, byte for byte what
 * `new URLSearchParams(pairs).toString()` writes (WHATWG URL §5.2, the
 * urlencoded serializer: `*-._` and alphanumerics kept, space as `+`, every
 * other byte of the UTF-8 percent-encoded), without building the
 * URLSearchParams object. A delivery-report callback is built once per
 * message, on the main thread, so the object and its sort-stable list were a
 * measurable share of a message's cost (bench/RESULTS.md, 2026-12-03).
 */
export function formUrlEncoded(pairs: ReadonlyArray<readonly [string, string]>): string {
  let body = '';
  for (const [name, value] of pairs) {
    if (body.length > 0) body += '&';
    body += `${encodeFormComponent(name)}=${encodeFormComponent(value)}`;
  }
  return body;
}

/** encodeURIComponent keeps `!'()~`, which the form serializer escapes, and writes a space as `%20`, not `+`. */
function encodeFormComponent(text: string): string {
  // The common case (ids, numbers, ISO times, plain words) needs no escaping at all.
  if (/^[A-Za-z0-9*\-._]*$/.test(text)) return text;
  // A lone surrogate becomes U+FFFD, as in a URLSearchParams (its strings are USVStrings); encodeURIComponent would throw.
  const wellFormed = text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return encodeURIComponent(wellFormed).replace(/[!'()~]|%20/g, (c) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
}
