/**
 * An `application/x-www-form-urlencoded` body, byte for byte what
 * `new URLSearchParams(pairs).toString()` writes (WHATWG URL §5.2, the
 * urlencoded serializer: `*-._` and alphanumerics kept, space as `+`, every
 * other byte of the UTF-8 percent-encoded), without building the
 * URLSearchParams object. A delivery-report callback is built once per
 * message, on the main thread, so the object and its sort-stable list were a
 * measurable share of a message's cost (bench/RESULTS.md, 2026-12-03); the
 * delivery report now writes its fields itself, each through `formComponent`.
 */
export function formUrlEncoded(pairs: ReadonlyArray<readonly [string, string]>): string {
  // Indexed, not `for (const [name, value] of pairs)`: the destructuring walked an iterator per pair, and a delivery
  // report's 16 fields cost 6.6 KB of garbage a message, most of the main thread's young-generation churn on the
  // callback path (bench/RESULTS.md, "Issue 18, session 24").
  let body = '';
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i]!;
    if (i > 0) body += '&';
    body += formComponent(pair[0]) + '=' + formComponent(pair[1]);
  }
  return body;
}

/** The characters the urlencoded serializer keeps as they are. */
const KEPT_AS_IS = /^[A-Za-z0-9*\-._]*$/;
/** An unpaired surrogate (a URLSearchParams holds USVStrings; encodeURIComponent would throw on one). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** What encodeURIComponent leaves or writes differently from the form serializer. */
const FORM_DIFFERENCES = /[!'()~]|%20/g;

/**
 * One name or value as the form serializer writes it. encodeURIComponent keeps `!'()~`, which the serializer
 * escapes, and writes a space as `%20`, not `+`.
 */
export function formComponent(text: string): string {
  // The common case (ids, numbers, plain words) needs no escaping at all.
  if (KEPT_AS_IS.test(text)) return text;
  // The next most common (ISO times, E.164 numbers, ASCII text) is escaped here by table, in one pass.
  const ascii = encodeAscii(text);
  if (ascii !== null) return ascii;
  // A lone surrogate becomes U+FFFD, as in a URLSearchParams.
  const wellFormed = text.replace(LONE_SURROGATE, '\ufffd');
  return encodeURIComponent(wellFormed).replace(FORM_DIFFERENCES, formDifference);
}

const SPACE = 0x20;
/** Which ASCII characters the serializer keeps as they are. */
const ASCII_KEPT: readonly boolean[] = Array.from({ length: 128 }, (_, code) => KEPT_AS_IS.test(String.fromCharCode(code)));
/** What the serializer writes for each ASCII character (space as `+`, the kept ones as they are). */
const ASCII_FORM: readonly string[] = Array.from({ length: 128 }, (_, code) => {
  if (code === SPACE) return '+';
  return ASCII_KEPT[code] ? String.fromCharCode(code) : `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
});

/**
 * `text` escaped, when it is all ASCII; null otherwise (the UTF-8 path takes it). The stretches that need no escaping
 * are copied a slice at a time: appending a character at a time made a new string for each, and an ISO time, the
 * commonest value here, has only its two colons to escape.
 */
function encodeAscii(text: string): string | null {
  let out = '';
  let kept = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128) return null;
    if (ASCII_KEPT[code]) continue;
    out += text.slice(kept, i) + ASCII_FORM[code]!;
    kept = i + 1;
  }
  return kept === 0 ? text : out + text.slice(kept);
}

function formDifference(c: string): string {
  return c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
}
