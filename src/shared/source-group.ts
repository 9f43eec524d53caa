/**
 * The unit a per-source limit counts: one IPv4 address, or one IPv6 /64. One subscriber or one LAN gets a whole /64
 * (RFC 6177 §2, RFC 7421), so one client has 2^64 addresses, and a limit per IPv6 address would never be reached.
 */
import { isIPv6 } from 'node:net';
import { unmappedIPv4 } from './ip-address.js';

/**
 * What a source is counted as: an IPv4 address as it is (also when a dual-stack socket reports it v4-mapped,
 * RFC 4291 §2.5.5.2), an IPv6 address as its /64 ("2001:db8:1:2::/64") unless it is an IPv4 host behind NAT64,
 * anything else as given.
 */
export function sourceGroup(address: string): string {
  const plain = unmappedIPv4(address);
  if (!isIPv6(plain)) return plain;
  const groups = expandIPv6(plain.split('%')[0]!);
  if (!groups) return plain;
  // NAT64's well-known prefix (RFC 6052 §2.1) carries a whole IPv4 address in its last 32 bits: one host each.
  if (groups.slice(0, 6).join(':') === '64:ff9b:0:0:0:0') return groups.join(':');
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros; null if it is not one. */
function expandIPv6(address: string): string[] | null {
  let text = address;
  // A trailing dotted quad (::ffff:192.0.2.1, 64:ff9b::192.0.2.1) is two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16).toString(16));
}
