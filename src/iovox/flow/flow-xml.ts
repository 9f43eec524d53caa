/**
 * `<callFlow>` XML → a small element tree that keeps document order and each
 * element's line and column (fast-xml-parser's preserveOrder + metadata), so
 * every rule error can say where the rule is.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseOrRefuse } from '../../shared/xml-refusal.js';
import { IovoxFlowError } from './flow-error.js';
import type { FlowPosition } from './flow.js';

export interface FlowElement {
  name: string;
  attributes: Record<string, string>;
  children: FlowElement[];
  position: FlowPosition;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  captureMetaData: true,
});
const META = XMLParser.getMetaDataSymbol() as unknown as string;

type RawNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Parse; malformed XML is "XML parse error. x at line y, column z", as in the SMS API. */
export function parseFlowXml(xml: string): FlowElement {
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new IovoxFlowError(`XML parse error. ${msg.replace(/\.$/, '')} at line ${line}, column ${col ?? 1}`);
  }
  const lineStarts = [0];
  for (let i = 0; i < xml.length; i++) if (xml[i] === '\n') lineStarts.push(i + 1);
  const positionOf = (index: number): FlowPosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - lineStarts[lo]! + 1 };
  };
  const toElements = (nodes: RawNode[]): FlowElement[] =>
    nodes
      .filter((node) => !('#text' in node))
      .map((node) => {
        const name = Object.keys(node).find((k) => k !== ':@')!;
        const meta = node[META] as { startIndex?: number } | undefined;
        return {
          name,
          attributes: { ...(node[':@'] ?? {}) },
          children: toElements((node[name] as RawNode[]) ?? []),
          position: positionOf(meta?.startIndex ?? 0),
        };
      });
  const parsed = parseOrRefuse(xml, () => parser.parse(xml) as RawNode[], ({ message, line, column }) => {
    throw new IovoxFlowError(`XML parse error. ${message.replace(/\.$/, '')} at line ${line}, column ${column}`);
  });
  const roots = toElements(parsed);
  if (roots.length === 0) throw new IovoxFlowError('Call Flow Empty');
  return roots[0]!;
}

/** An attribute's value as written, or null when it is absent or empty. */
export function attribute(element: FlowElement, name: string): string | null {
  const value = element.attributes[name];
  return value === undefined || value.trim() === '' ? null : value;
}
