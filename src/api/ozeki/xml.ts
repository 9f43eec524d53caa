/**
 * Ozeki's command results: always HTTP 200 with an XML body whose <Code>
 * carries the real status (ozeki-ozml.md §3.2–3.3). <Message> is Ozeki's
 * template exactly; what telenode knows beyond it (the parameter's problem,
 * the SIP status of a failed call) goes in a <Detail> element of its own. The root element is
 * `OzApi_CommandResult_<Command>` as Ozeki's SendSms reference shows it (well-formed here:
 * the reference's closing tag has a typo).
 */
import { xmlElement } from '../../shared/xml-element.js';

/** Ozeki's status code table (ozekiphone.com p_4235), message templates verbatim, "occured" included. */
export const OzekiCode = {
  Ok: { code: 200, template: 'Command successfully executed' },
  ParseError: { code: 300, template: "Error occured during parsing message: '{0}'" },
  NotImplementedCommand: { code: 301, template: "Not implemented command: '{0}'" },
  InvalidParameter: { code: 302, template: "Missing or invalid parameter '{0}' for command '{1}'" },
  InappropriateCommand: { code: 303, template: "Command '{0}' cannot be used here" },
  AuthenticationRequired: { code: 304, template: 'Authentication required' },
  AuthenticationFailed: { code: 305, template: 'Authentication failed, bad username or password' },
  ForbiddenUser: { code: 306, template: 'User is not allowed to use API in ACL' },
  ForbiddenAddress: { code: 307, template: 'Use API from this address is forbidden' },
  ApiExtensionUnavailable: { code: 401, template: "API extension '{0}' unavailable, please check configuration or permissions" },
  CallConnectFailed: { code: 402, template: "Call connect to '{0}' failed with result state '{1}'" },
  SmsDestinationNotFound: { code: 501, template: 'Destination of the SMS is not found' },
  CallNotFound: { code: 601, template: "Call not found with ID '{0}'" },
} as const;
export type OzekiCode = (typeof OzekiCode)[keyof typeof OzekiCode];

export function formatOzekiMessage(code: OzekiCode, ...args: string[]): string {
  return code.template.replace(/\{(\d)\}/g, (_, i: string) => args[Number(i)] ?? '');
}

/** Times as Ozeki 10 writes them: UTC "yyyy-MM-dd HH:mm:ss". */
export function ozekiTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

const NAMESPACES = {
  '@_xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
  '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
};

/** Commands whose name may appear in a root element; anything else gets the generic root. */
const ROOT_SAFE = /^[A-Za-z][A-Za-z0-9]{0,40}$/;

/** Ozeki's results declare no encoding. */
const DECLARATION = '<?xml version="1.0"?>\n';

export function renderOzekiResult(command: string | null, code: OzekiCode, message: string, extra: Record<string, unknown> = {}): string {
  const root = command && ROOT_SAFE.test(command) ? `OzApi_CommandResult_${command}` : 'OzApi_CommandResult';
  if (!onlyChildElements(extra)) {
    return `${DECLARATION}${xmlElement(root, { ...NAMESPACES, Code: code.code, Message: message, ...extra })}`;
  }
  // The same text without building the merged object and walking it (one result per request on the SMS path): the
  // root's start tag is the same for every result of a command.
  let xml = `${startTag(root)}<Code>${code.code}</Code>${xmlElement('Message', message)}`;
  for (const key in extra) xml += xmlElement(key, extra[key]);
  return `${xml}</${root}>`;
}

/** `<?xml …?>` and the root's start tag with the namespaces, by root element. */
const startTags = new Map<string, string>();
/** Roots kept at most: command names come from requests, and a name past these is written afresh each time. */
const MAX_START_TAGS = 100;

function startTag(root: string): string {
  let tag = startTags.get(root);
  if (tag === undefined) {
    tag = xmlElement(root, NAMESPACES);
    tag = `${DECLARATION}${tag.slice(0, tag.length - `</${root}>`.length)}`;
    if (startTags.size < MAX_START_TAGS) startTags.set(root, tag);
  }
  return tag;
}

/**
 * Whether `extra` only adds child elements after `<Message>`: no attributes, text or `Code`/`Message` of its own,
 * which the merged object would place or replace differently.
 */
function onlyChildElements(extra: Record<string, unknown>): boolean {
  for (const key in extra) if (key.startsWith('@_') || key === '#text' || key === 'Code' || key === 'Message') return false;
  return true;
}
