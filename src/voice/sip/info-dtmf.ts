/**
 * Digits in SIP INFO bodies: `application/dtmf-relay` ("Signal=5\r\nDuration=160",
 * the Cisco form most PBXs use) and `application/dtmf` (the digit alone).
 */
const DIGIT = /^[0-9*#A-D]$/i;

export function parseInfoDigit(contentType: unknown, body: string): string | null {
  const type = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '';
  let candidate: string | null = null;
  if (type === 'application/dtmf-relay') {
    candidate = /^\s*signal\s*=\s*(\S+)/im.exec(body)?.[1] ?? null;
  } else if (type === 'application/dtmf') {
    candidate = body.trim();
  }
  if (candidate === '10') candidate = '*'; // some phones send event numbers
  if (candidate === '11') candidate = '#';
  return candidate && DIGIT.test(candidate) ? candidate.toUpperCase() : null;
}
