/**
 * An INVITE written by hand, for tests that send what sipp would not (forged sources, headers a parser chokes on) from
 * a UDP socket of their own. `from` is the sender's host:port; the Via branch is made from the Call-ID.
 */
export function rawInvite(target: string, from: string, callId: string, extraHeaders: string[] = []): string {
  return [
    `INVITE ${target} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from};branch=z9hG4bK${callId}`,
    `From: <sip:pbx@${from}>;tag=1`,
    `To: <${target}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:pbx@${from}>`,
    'Max-Forwards: 70',
    ...extraHeaders,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
