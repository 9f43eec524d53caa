/**
 * Grammar-aware SIP message mutation for the fuzz suite. Messages start as
 * real requests (RFC 3261 §7: a start line, headers, a body) and are mutated
 * where parsers break: a header dropped, doubled or given a hostile value,
 * the start line bent, Content-Length lying, bytes flipped or cut. A seeded
 * generator makes every run repeatable: a failure prints its seed.
 */
import { type Dice, damageBytes } from './dice.js';

export { Dice, damageBytes, seededRandom } from './dice.js';

export interface SipMessage {
  startLine: string;
  headers: [string, string][];
  body: string;
}

export interface Peer {
  /** host:port the fuzzer's socket is reachable at (for Via and Contact). */
  self: string;
  /** host:port of the node under test. */
  target: string;
  transport: 'UDP' | 'TCP';
}

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 9 RTP/AVP 0 8 101',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

export const METHODS = ['INVITE', 'REGISTER', 'OPTIONS', 'BYE', 'REFER', 'CANCEL', 'ACK', 'INFO', 'NOTIFY', 'MESSAGE', 'SUBSCRIBE', 'UPDATE', 'PRACK'] as const;

/** A well-formed out-of-dialog request, as a phone or a scanner would send it. */
export function baseRequest(method: string, peer: Peer, n: number, dice: Dice): SipMessage {
  const uri = `sip:${dice.pick(['100', 'telenode', '+15551234', 'x'])}@${peer.target}`;
  const headers: [string, string][] = [
    ['Via', `SIP/2.0/${peer.transport} ${peer.self};branch=z9hG4bK${n}f${dice.int(1e9)};rport`],
    ['Max-Forwards', '70'],
    ['From', `"Fuzz ${n}" <sip:fuzz${n}@${peer.self}>;tag=f${n}`],
    ['To', `<${uri}>`],
    ['Call-ID', `fuzz-${n}-${dice.int(1e9)}@127.0.0.1`],
    ['CSeq', `${1 + dice.int(1000)} ${method}`],
    ['Contact', `<sip:fuzz${n}@${peer.self}${peer.transport === 'TCP' ? ';transport=tcp' : ''}>`],
    ['User-Agent', 'telenode-fuzz'],
  ];
  let body = '';
  if (method === 'INVITE') {
    headers.push(['Content-Type', 'application/sdp']);
    body = SDP;
  } else if (method === 'REFER') {
    headers.push(['Refer-To', `<sip:200@${peer.target}>`], ['Referred-By', `<sip:fuzz${n}@${peer.self}>`]);
  } else if (method === 'INFO') {
    headers.push(['Content-Type', 'application/dtmf-relay']);
    body = 'Signal=5\r\nDuration=160\r\n';
  } else if (method === 'REGISTER') {
    headers.push(
      ['Expires', '3600'],
      ['Authorization', `Digest username="fuzz", realm="telenode", nonce="abc", uri="${uri}", response="0123456789abcdef0123456789abcdef"`],
    );
  }
  headers.push(['Content-Length', String(Buffer.byteLength(body, 'binary'))]);
  return { startLine: `${method} ${uri} SIP/2.0`, headers, body };
}

/** A request inside a dialog the node answered (its To tag), for the paths behind the 200 OK. */
export function inDialogRequest(
  method: string,
  dialog: { callId: string; from: string; to: string; cseq: number; target: string },
  peer: Peer,
  n: number,
): SipMessage {
  const headers: [string, string][] = [
    ['Via', `SIP/2.0/${peer.transport} ${peer.self};branch=z9hG4bK${n}d`],
    ['Max-Forwards', '70'],
    ['From', dialog.from],
    ['To', dialog.to],
    ['Call-ID', dialog.callId],
    ['CSeq', `${method === 'ACK' ? 1 : dialog.cseq} ${method}`],
    ['Contact', `<sip:fuzz@${peer.self}>`],
  ];
  let body = '';
  if (method === 'INVITE') {
    headers.push(['Content-Type', 'application/sdp']);
    body = SDP.replace('a=sendrecv', 'a=sendonly');
  } else if (method === 'INFO') {
    headers.push(['Content-Type', 'application/dtmf-relay']);
    body = 'Signal=1\r\nDuration=100\r\n';
  } else if (method === 'REFER') {
    headers.push(['Refer-To', '<sip:300@127.0.0.1>']);
  }
  headers.push(['Content-Length', String(body.length)]);
  return { startLine: `${method} ${dialog.target} SIP/2.0`, headers, body };
}

/** Values that have broken SIP parsers somewhere (Kamailio's, PJSIP's and sipp's bug trackers are full of them). */
const HOSTILE_VALUES = [
  '',
  ' ',
  '<',
  '>',
  '<>',
  '<<<>>>',
  'garbage',
  'sip:',
  'sip:@',
  '<sip:@>',
  '<sip:a@>',
  '<sip:@:>',
  '<sip:a@b:99999999999>',
  '<sip:a@[::1>',
  '<sip:a@[::1]:5060>',
  '<tel:+1555>',
  '<http://127.0.0.1/>',
  '<mailto:a@b>',
  '"unterminated <sip:a@b>',
  '"\\"quoted\\"" <sip:a@b>;tag=1',
  '<sip:a@b>;tag=',
  '<sip:a@b>;tag',
  '<sip:a@b>;;;;',
  '*',
  '<sip:a@b>, <sip:c@d>',
  ',,,,',
  'SIP/2.0/UDP',
  'SIP/2.0/UDP ;branch=z9hG4bK',
  'SIP/2.0/XYZ 127.0.0.1:0',
  'SIP/3.0/UDP 256.256.256.256:5060',
  'SIP/2.0/UDP 127.0.0.1:-1;rport=abc',
  'SIP/2.0/UDP 127.0.0.1:5060;received=;branch',
  '-1',
  '0',
  '4294967296',
  '99999999999999999999999',
  'NaN',
  '1 ',
  ' INVITE',
  '1 FOO',
  'abc INVITE',
  'Digest',
  'Digest username=',
  'Digest username="a", realm="b", nonce="", uri="", response=""',
  'Basic YWRtaW46YWRtaW4=',
  'Digest ,,,,=,=,"',
  'application/sdp; charset',
  '%00%0d%0a',
  '%',
  '%zz',
  '\u0000',
  '\u00ff\u00fe',
  'é€𝄞',
  '<sip:%E2%80%AE@127.0.0.1>',
  '<sip:../../../etc/passwd@127.0.0.1>',
  '<sip:$Caller@127.0.0.1>',
  '<sip:a@b?Route=%3Csip:c%3E>',
  '<sip:a@b;transport=>',
  '<sips:a@b;maddr=255.255.255.255>',
  '=?utf-8?q?x?=',
];

const HEADER_NAMES = [
  'Via',
  'v',
  'From',
  'f',
  'To',
  't',
  'Call-ID',
  'i',
  'CSeq',
  'Contact',
  'm',
  'Content-Length',
  'l',
  'Content-Type',
  'c',
  'Max-Forwards',
  'Route',
  'Record-Route',
  'Authorization',
  'Proxy-Authorization',
  'Refer-To',
  'Expires',
  'Event',
  'Require',
  'Supported',
  'Allow',
  'Diversion',
  'X-Custom',
  'Authentication-Info',
  'Path',
  'Session-Expires',
];

function hostileValue(dice: Dice): string {
  const base = dice.pick(HOSTILE_VALUES);
  switch (dice.int(6)) {
    case 0:
      return base.repeat(1 + dice.int(200));
    case 1:
      return `${base}${'A'.repeat(dice.int(4000))}`;
    default:
      return base;
  }
}

type Mutator = (m: SipMessage, dice: Dice) => void;

const MUTATORS: Mutator[] = [
  // drop a header (a missing mandatory one is the classic crash)
  (m, d) => {
    if (m.headers.length > 0) m.headers.splice(d.int(m.headers.length), 1);
  },
  // a hostile value for an existing header
  (m, d) => {
    if (m.headers.length > 0) m.headers[d.int(m.headers.length)]![1] = hostileValue(d);
  },
  // a header twice, the copy possibly hostile
  (m, d) => {
    if (m.headers.length === 0) return;
    const [name, value] = m.headers[d.int(m.headers.length)]!;
    m.headers.splice(d.int(m.headers.length + 1), 0, [name, d.chance(0.5) ? value : hostileValue(d)]);
  },
  // a known header name with a hostile value, added
  (m, d) => {
    m.headers.splice(d.int(m.headers.length + 1), 0, [d.pick(HEADER_NAMES), hostileValue(d)]);
  },
  // a header's name bent (case, compact form, whitespace, colon)
  (m, d) => {
    if (m.headers.length === 0) return;
    const h = m.headers[d.int(m.headers.length)]!;
    h[0] = d.pick([h[0].toUpperCase(), h[0].toLowerCase(), `${h[0]} `, ` ${h[0]}`, `${h[0]}:`, '', d.pick(HEADER_NAMES)]);
  },
  // the request line bent
  (m, d) => {
    const parts = m.startLine.split(' ');
    const which = d.int(3);
    parts[which] =
      which === 0
        ? d.pick([...METHODS, 'invite', 'INV ITE', '', 'SIP/2.0', 'X'.repeat(300)])
        : which === 1
          ? hostileValue(d)
          : d.pick(['SIP/2.0', 'SIP/1.0', 'SIP/2.0 ', 'HTTP/1.1', 'SIP/', '']);
    m.startLine = parts.join(d.chance(0.9) ? ' ' : '\t');
  },
  // Content-Length that lies
  (m, d) => {
    const h = m.headers.find(([n]) => /^(content-length|l)$/i.test(n));
    const value = d.pick(['-1', '0', '1', '99999999', String(m.body.length + 1 + d.int(100)), 'abc', '']);
    if (h) h[1] = value;
    else m.headers.push(['Content-Length', value]);
  },
  // the body mutated (SDP lines dropped or hostile)
  (m, d) => {
    const lines = m.body.split('\r\n');
    if (lines.length === 0) return;
    const i = d.int(lines.length);
    lines[i] = d.chance(0.5) ? hostileValue(d) : `${lines[i]!.slice(0, 2)}${hostileValue(d)}`;
    m.body = lines.join('\r\n');
  },
  // a CR, LF or NUL inside a value
  (m, d) => {
    if (m.headers.length === 0) return;
    const h = m.headers[d.int(m.headers.length)]!;
    const at = d.int(h[1].length + 1);
    h[1] = h[1].slice(0, at) + d.pick(['\r', '\n', '\r\n', '\0', '\r\n ', '\r\n\r\n']) + h[1].slice(at);
  },
];

export function serialize(m: SipMessage): Buffer {
  const head = [m.startLine, ...m.headers.map(([n, v]) => `${n}: ${v}`)].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${m.body}`, 'binary');
}

/** Apply 1–4 structural mutations, then sometimes byte-level damage. */
export function mutate(m: SipMessage, dice: Dice): Buffer {
  const rounds = 1 + dice.int(4);
  for (let i = 0; i < rounds; i++) dice.pick(MUTATORS)(m, dice);
  let bytes = serialize(m);
  if (dice.chance(0.15)) bytes = damageBytes(bytes, dice);
  return bytes;
}
