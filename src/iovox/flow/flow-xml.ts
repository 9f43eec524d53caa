/**
 * `<callFlow>` XML → a small element tree that keeps document order and each
 * element's line and column (the one XML reader, shared/xml-tree.ts), so
 * every rule error can say where the rule is.
 */
import { readXmlTree, XmlReadError, type XmlElement } from '../../shared/xml-tree.js';
import { IovoxFlowError } from './flow-error.js';
import { escapeXml } from '../../shared/xml-escape.js';
import type { FlowPosition } from './flow.js';

export interface FlowElement {
  name: string;
  attributes: Record<string, string>;
  children: FlowElement[];
  position: FlowPosition;
}

/** Parse; malformed XML is "XML parse error. x at line y, column z", as in the SMS API. */
export function parseFlowXml(xml: string): FlowElement {
  let root: XmlElement;
  try {
    root = readXmlTree(xml);
  } catch (err) {
    if (!(err instanceof XmlReadError)) throw err;
    const { kind, message, line, column } = err.failure;
    if (kind === 'empty') throw new IovoxFlowError('Call Flow Empty');
    throw new IovoxFlowError(`XML parse error. ${message.replace(/\.$/, '')} at line ${line}, column ${column}`);
  }
  return toFlowElement(root);
}

function toFlowElement(element: XmlElement): FlowElement {
  return { name: element.name, attributes: { ...element.attributes }, children: element.children.map(toFlowElement), position: element.at };
}

/** An attribute's value as written, or null when it is absent or empty. */
export function attribute(element: FlowElement, name: string): string | null {
  const value = element.attributes[name];
  return value === undefined || value.trim() === '' ? null : value;
}

/** The element back as XML (attributes and child elements: all a flow has), for storing and answering getCallFlow. */
export function writeFlowElement(element: FlowElement, indent = ''): string {
  const attributes = Object.entries(element.attributes)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
  if (element.children.length === 0) return `${indent}<${element.name}${attributes}/>`;
  const children = element.children.map((child) => writeFlowElement(child, `${indent}  `)).join('\n');
  return `${indent}<${element.name}${attributes}>\n${children}\n${indent}</${element.name}>`;
}
