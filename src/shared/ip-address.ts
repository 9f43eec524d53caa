/**
 * IP address literals as the node's limits and policies compare them: an IPv4 peer however a dual-stack socket or a
 * URL spells it, and lists of networks (CIDRs) to check addresses against.
 */
import { BlockList, isIP } from 'node:net';

/** An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2), dotted or hex, as the IPv4 address it is; others as they are. */
export function unmappedIPv4(address: string): string {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return address;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** A BlockList of addresses and networks ("192.0.2.1", "10.0.0.0/8", "ff00::/8"). */
export function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, bits] = cidr.split('/');
    const type = isIP(network!) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(network!, type);
    else list.addSubnet(network!, Number(bits), type);
  }
  return list;
}
