/**
 * The one XML reader (OzML scripts and IOVOX call flows use it): a document
 * as a plain element tree in document order (fast-xml-parser with
 * preserveOrder), each element with its line and column recovered from its
 * start offset, so every error can say where it is. Attributes and text are
 * strings as written: no type coercion, no entity expansion beyond the five
 * predefined ones (xml-refusal.ts). Each reader maps the tree, and a failure,
 * into its own words.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseOrRefuse } from './xml-refusal.js';

export interface XmlPosition {
  line: number;
  column: number;
}

export interface XmlElement {
  /** The tag as written. */
  name: string;
  /** Attribute values by name as written. */
  attributes: Readonly<Record<string, string>>;
  /** The element's own text (trimmed, CDATA included), its text nodes joined by a space. */
  text: string;
  children: XmlElement[];
  at: XmlPosition;
}

/** Why a document could not be read: not well-formed, refused by the parser (DOCTYPE, entities, depth), or empty. */
export interface XmlFailure extends XmlPosition {
  kind: 'malformed' | 'refused' | 'empty';
  /** The parser's own words. */
  message: string;
}

export class XmlReadError extends Error {
  constructor(readonly failure: XmlFailure) {
    super(failure.message);
    this.name = 'XmlReadError';
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

/** The document's root element (the first that is not a comment or declaration); throws XmlReadError. */
export function readXmlTree(source: string): XmlElement {
  const valid = XMLValidator.validate(source);
  if (valid !== true) throw new XmlReadError({ kind: 'malformed', message: valid.err.msg, line: valid.err.line, column: valid.err.col ?? 1 });
  const lines = lineStarts(source);
  const nodes = parseOrRefuse(
    source,
    () => parser.parse(source) as RawNode[],
    (refusal) => {
      throw new XmlReadError({ kind: 'refused', ...refusal });
    },
  );
  const roots = nodes.map((n) => toElement(n, lines)).filter((e): e is XmlElement => e !== null);
  if (roots.length === 0) throw new XmlReadError({ kind: 'empty', message: 'the document has no root element', line: 1, column: 1 });
  return roots[0]!;
}

function toElement(node: RawNode, lines: number[]): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text' && !k.startsWith('?') && k !== '#comment');
  if (!name) return null;
  const meta = (node as unknown as Record<string, { startIndex?: number } | undefined>)[META];
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(node[':@'] ?? {})) attributes[k] = String(v);
  const texts: string[] = [];
  const children: XmlElement[] = [];
  for (const child of (node[name] as RawNode[] | undefined) ?? []) {
    if ('#text' in child) texts.push(String(child['#text']));
    const element = toElement(child, lines);
    if (element) children.push(element);
  }
  return { name, attributes, text: texts.join(' ').trim(), children, at: position(lines, meta?.startIndex ?? 0) };
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): XmlPosition {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}
