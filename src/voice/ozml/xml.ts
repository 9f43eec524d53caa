/**
 * OzML as a plain element tree, read by the one XML reader
 * (shared/xml-tree.ts: document order, each element's line and column). Tag
 * and attribute names are compared in lower case because Ozeki's own pages
 * write `<Response>`, `<response>` and `<speak>` alike.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import { readXmlTree, XmlReadError, type XmlElement, type XmlPosition } from '../../shared/xml-tree.js';

export type Position = XmlPosition;

export interface OzmlElement {
  /** The tag as written. */
  name: string;
  /** The tag in lower case, for lookups. */
  key: string;
  /** Attribute values by lower-case name. */
  attrs: ReadonlyMap<string, string>;
  /** The element's own text (trimmed, CDATA included). */
  text: string;
  children: OzmlElement[];
  at: Position;
}

/** A script error with where it is; `line:column: why` in the message, as compilers print it. */
export class OzmlError extends AppError {
  constructor(
    message: string,
    readonly at: Position | null,
    options: { cause?: unknown } = {},
  ) {
    super(ErrorCode.OZML_INVALID, at ? `${at.line}:${at.column}: ${message}` : message, {
      cause: options.cause,
      details: at ? { line: at.line, column: at.column } : {},
    });
  }
}

/** Parse the document and return its root element (the one that is not a comment or declaration). */
export function readXml(source: string): OzmlElement {
  let root: XmlElement;
  try {
    root = readXmlTree(source);
  } catch (err) {
    if (!(err instanceof XmlReadError)) throw err;
    const { kind, message, line, column } = err.failure;
    const why = kind === 'malformed' ? `not well-formed XML: ${message}` : kind === 'refused' ? `XML the parser refuses: ${message}` : message;
    throw new OzmlError(why, { line, column });
  }
  return toOzml(root);
}

/** Tag and attribute names in lower case for lookups; the tag as written kept for messages. */
function toOzml(element: XmlElement): OzmlElement {
  const attrs = new Map(Object.entries(element.attributes).map(([k, v]) => [k.toLowerCase(), v] as const));
  return { name: element.name, key: element.name.toLowerCase(), attrs, text: element.text, children: element.children.map(toOzml), at: element.at };
}

/** The first of `names` (any case) that is present. */
export function attr(element: OzmlElement, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = element.attrs.get(name.toLowerCase());
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A verb's main parameter: the named attribute, or else the element's text. */
export function mainParameter(element: OzmlElement, ...names: string[]): string | undefined {
  const value = attr(element, ...names);
  if (value !== undefined && value.trim() !== '') return value;
  return element.text !== '' ? element.text : undefined;
}

export function requireMain(element: OzmlElement, what: string, ...names: string[]): string {
  const value = mainParameter(element, ...names);
  if (value === undefined) throw new OzmlError(`<${element.name}> needs ${what} (attribute ${names[0]} or the element's text)`, element.at);
  return value;
}

/** A number attribute: absent → fallback; present but not a number in range → error at the element. */
export function numberAttr(element: OzmlElement, name: string, fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = attr(element, name);
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  const { min = 0, max = Number.MAX_SAFE_INTEGER, integer = false } = range;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new OzmlError(`<${element.name}> ${name}="${raw}" is not ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`, element.at);
  }
  return value;
}

export function booleanAttr(element: OzmlElement, name: string, fallback: boolean): boolean {
  const raw = attr(element, name)?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new OzmlError(`<${element.name}> ${name}="${raw}" is not true or false`, element.at);
}
