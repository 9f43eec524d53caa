/**
 * One XML element from a plain value, written as fast-xml-parser's XMLBuilder
 * writes it with `format: false`, `attributeNamePrefix: '@_'` and
 * `textNodeName: '#text'` — the shape of every Ozeki command result — at a
 * fraction of its cost: the generic builder walked its options for every node
 * and was 3 % of the main thread's time on the SMS path, one result per
 * request (issue 18).
 *
 * - a string, number or boolean is the element's text; `null` is `<name/>`;
 *   `undefined` writes nothing;
 * - an array repeats the element once per item;
 * - an object's keys are child elements, `@_x` keys the attribute `x`
 *   (`true` bare, `null`/`undefined` left out) and `#text` its text.
 *
 * Text and attribute values escape the five XML 1.0 entities (§2.4, §4.6);
 * like the builder, nothing else is changed — which is why this is not
 * shared/xml-escape.ts's escapeXml: that one also writes newlines as `&#10;`
 * and replaces control characters, and Ozeki's results would change. test/unit/shared/xml-element.test.ts
 * checks the output against XMLBuilder's for the shapes results use.
 */
export function xmlElement(name: string, value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return `<${name}/>`;
  if (Array.isArray(value)) {
    let xml = '';
    for (const item of value) xml += xmlElement(name, item);
    return xml;
  }
  if (typeof value !== 'object') return `<${name}>${escapeMarkup(String(value))}</${name}>`;
  let attributes = '';
  let content = '';
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (key.startsWith('@_')) {
      if (child === true) attributes += ` ${key.slice(2)}`;
      else if (child !== null && child !== undefined) attributes += ` ${key.slice(2)}="${escapeMarkup(String(child))}"`;
    } else if (key === '#text') {
      if (child !== null && child !== undefined) content += escapeMarkup(String(child));
    } else {
      content += xmlElement(key, child);
    }
  }
  return `<${name}${attributes}>${content}</${name}>`;
}

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const HAS_SPECIAL = /[&<>"']/;
const SPECIAL = /[&<>"']/g;

export function escapeMarkup(text: string): string {
  return HAS_SPECIAL.test(text) ? text.replace(SPECIAL, (c) => ENTITY[c]!) : text;
}
