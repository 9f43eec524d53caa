/**
 * OzML as a plain element tree: fast-xml-parser (preserveOrder, so verbs keep
 * their order) with each element's line and column recovered from its start
 * offset. Tag and attribute names are compared in lower case because Ozeki's
 * own pages write `<Response>`, `<response>` and `<speak>` alike.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { parseOrRefuse } from '../../shared/xml-refusal.js';

export interface Position {
  line: number;
  column: number;
}

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

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  captureMetaData: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});
const META = XMLParser.getMetaDataSymbol() as unknown as string;

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Parse the document and return its root element (the one that is not a comment or declaration). */
export function readXml(source: string): OzmlElement {
  const valid = XMLValidator.validate(source);
  if (valid !== true) throw new OzmlError(`not well-formed XML: ${valid.err.msg}`, { line: valid.err.line, column: valid.err.col });
  const lines = lineStarts(source);
  const nodes = parseOrRefuse(source, () => parser.parse(source) as RawNode[], (refusal) => {
    throw new OzmlError(`XML the parser refuses: ${refusal.message}`, { line: refusal.line, column: refusal.column });
  });
  const roots = nodes.map((n) => toElement(n, lines)).filter((e): e is OzmlElement => e !== null);
  if (roots.length === 0) throw new OzmlError('the document has no root element', { line: 1, column: 1 });
  return roots[0]!;
}

function toElement(node: RawNode, lines: number[]): OzmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text' && !k.startsWith('?') && k !== '#comment');
  if (!name) return null;
  const meta = (node as unknown as Record<string, { startIndex?: number } | undefined>)[META];
  const attrs = new Map<string, string>();
  for (const [k, v] of Object.entries(node[':@'] ?? {})) attrs.set(k.toLowerCase(), String(v));
  const rawChildren = (node[name] as RawNode[] | undefined) ?? [];
  const texts: string[] = [];
  const children: OzmlElement[] = [];
  for (const child of rawChildren) {
    if ('#text' in child) texts.push(String(child['#text']));
    const element = toElement(child, lines);
    if (element) children.push(element);
  }
  return { name, key: name.toLowerCase(), attrs, text: texts.join(' ').trim(), children, at: position(lines, meta?.startIndex ?? 0) };
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): Position {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
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
