/**
 * IOVOX's wire format: XML requests `<request>…</request>`, a success answer
 * `<response>…</response>` (IOVOX's SMS API v3 reference) and errors as
 * `<errors><error status="400">Origin Empty</error></errors>` (the shape
 * IOVOX client libraries unwrap: errors → error → status + text).
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { parseOrRefuse } from '../../shared/xml-refusal.js';

export const IOVOX_CONTENT_TYPE = 'application/xml; charset=utf-8';

/** An answer in IOVOX's own words: the HTTP status and the reference's error string. */
export class IovoxApiError extends AppError {
  constructor(
    readonly status: number,
    readonly text: string,
    cause?: unknown,
  ) {
    super(ErrorCode.REQUEST_INVALID, text, { protocolStatus: status, cause });
    this.name = 'IovoxApiError';
  }
}

const builder = new XMLBuilder({ format: true, indentBy: '  ', ignoreAttributes: false, attributeNamePrefix: '@_', textNodeName: '#text' });
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function renderIovoxResponse(fields: Record<string, unknown>): string {
  return DECLARATION + (builder.build({ response: fields }) as string);
}

export function renderIovoxError(status: number, text: string): string {
  return DECLARATION + (builder.build({ errors: { error: { '@_status': status, '#text': text } } }) as string);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Text nodes of the `<request>` element by name (first occurrence wins); non-text children are reported as such. */
export type IovoxRequestNodes = Map<string, string | { nested: true }>;

/**
 * Decode and parse a request body, answering with the errors of IOVOX's SMS API v3 reference:
 * XML Empty, "XML parse error. x at line y, column z", Request Empty.
 */
export function parseIovoxRequest(body: Buffer | undefined): IovoxRequestNodes {
  const xml = readIovoxXml(body);
  const doc = parseOrRefuse(
    xml,
    () => parser.parse(xml) as Record<string, unknown>,
    ({ message, line, column }) => {
      throw new IovoxApiError(400, parseErrorText(message, line, column));
    },
  );
  const request = doc['request'];
  const nodes: IovoxRequestNodes = new Map();
  if (request && typeof request === 'object') {
    for (const [name, value] of Object.entries(request as Record<string, unknown>)) {
      const first = Array.isArray(value) ? (value[0] as unknown) : value;
      nodes.set(name, typeof first === 'string' ? first : first !== null && typeof first === 'object' ? { nested: true } : String(first ?? ''));
    }
  }
  if (nodes.size === 0) throw new IovoxApiError(400, 'Request Empty');
  return nodes;
}

/** The body as well-formed XML text, or IOVOX's XML Empty / "XML parse error. x at line y, column z". */
export function readIovoxXml(body: Buffer | undefined): string {
  if (!body || body.length === 0) throw new IovoxApiError(400, 'XML Empty');
  const xml = decodeBody(body);
  if (xml.trim().length === 0) throw new IovoxApiError(400, 'XML Empty');
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new IovoxApiError(400, parseErrorText(msg, line, col ?? 1));
  }
  return xml;
}

function parseErrorText(message: string, line: number, column: number): string {
  return `XML parse error. ${message.replace(/\.$/, '')} at line ${line}, column ${column}`;
}

/** Bytes that are not UTF-8 are a parse error at the first bad byte, never silently replaced. */
function decodeBody(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(body);
    const at = lenient.indexOf('\uFFFD');
    const before = lenient.slice(0, Math.max(0, at));
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new IovoxApiError(400, parseErrorText('Invalid UTF-8 byte sequence', line, column));
  }
}
