/**
 * Where telenode may send HTTP requests (callbacks, OzML apps, prompt URLs).
 * Those URLs come from API clients, scripts and callers, so without a policy
 * the node is a proxy into its own network: its loopback services, the cloud
 * metadata address, its own API. The policy is checked on the address a
 * name resolves to, at connect time, and the connection goes to exactly that
 * address (no second lookup, so DNS rebinding cannot slip past the check);
 * every spelling of an address (`127.1`, `2130706433`, `[::ffff:7f00:1]`,
 * userinfo) is normalised by the WHATWG URL parser and the v4-mapped form
 * is checked as IPv4.
 *
 * Default: deny loopback, link-local (169.254/16 holds the metadata service
 * of every cloud), unspecified, multicast and broadcast addresses, and the
 * node's own HTTP port on any of its addresses; private ranges (a company's
 * CRM next to the PBX) stay open. `allow` opens ranges on purpose and wins
 * over `deny`.
 */
import type { LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type BlockList, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AppError, ErrorCode } from './errors.js';
import { blockList, unmappedIPv4 } from './ip-address.js';

export interface EgressConfig {
  allow: string[];
  deny: string[];
  /** Ports of this node's own HTTP server: never a destination on one of its own addresses. */
  ownPorts: number[];
}

export const DEFAULT_EGRESS_DENY = [
  '127.0.0.0/8',
  '::1/128',
  '169.254.0.0/16',
  'fe80::/10',
  '0.0.0.0/8',
  '::/128',
  '224.0.0.0/4',
  'ff00::/8',
  '255.255.255.255/32',
];

const SCHEMES = new Set(['http:', 'https:']);

/**
 * Decisions remembered per policy, at most this many (then forgotten all at once): a decision depends only on the
 * address and port, and a callback to the same receiver asked it again for every message — each `BlockList.check`
 * makes a `SocketAddress`, a transferable object, about 1 % of the main thread flat out with receipts
 * (bench/RESULTS.md, "Issue 18, session 31"). The bound keeps URLs full of different address literals from growing it.
 */
const REMEMBERED_DECISIONS = 1024;

export class EgressPolicy {
  private readonly allow: BlockList;
  private readonly deny: BlockList;
  private readonly ownAddresses: Set<string>;
  /** `refusal`'s answers by port, then address. */
  private readonly decisions = new Map<number, Map<string, string | null>>();
  private decisionCount = 0;

  constructor(private readonly config: EgressConfig) {
    this.allow = blockList(config.allow);
    this.deny = blockList(config.deny);
    this.ownAddresses = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((i) => i?.address)
        .filter((a): a is string => Boolean(a)),
    );
  }

  /** Why a connection to this address and port is refused, or null when it may go. */
  refusal(address: string, port: number): string | null {
    let byAddress = this.decisions.get(port);
    const known = byAddress?.get(address);
    if (known !== undefined) return known;
    const decision = this.decide(address, port);
    if (this.decisionCount >= REMEMBERED_DECISIONS) {
      this.decisions.clear();
      this.decisionCount = 0;
      byAddress = undefined;
    }
    if (!byAddress) this.decisions.set(port, (byAddress = new Map()));
    byAddress.set(address, decision);
    this.decisionCount++;
    return decision;
  }

  private decide(address: string, port: number): string | null {
    const plain = unmappedIPv4(address);
    const family = isIP(plain) === 6 ? 'ipv6' : 'ipv4';
    if (this.config.ownPorts.includes(port) && (this.ownAddresses.has(plain) || this.deny.check(plain, family)))
      return `${plain}:${port} is this node's own API`;
    if (this.allow.check(plain, family)) return null;
    if (this.deny.check(plain, family)) return `${plain} is in a range the egress policy denies (egress.deny; open it with egress.allow)`;
    return null;
  }

  /** The URL, parsed, if its scheme may be fetched at all; the address is checked when connecting. */
  parse(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AppError(ErrorCode.EGRESS_DENIED, `not a URL: ${url.slice(0, 200)}`);
    }
    if (!SCHEMES.has(parsed.protocol)) throw new AppError(ErrorCode.EGRESS_DENIED, `only http and https URLs are fetched, not ${parsed.protocol}`);
    return parsed;
  }

  /**
   * A `lookup` for node:http's sockets (net.connect's option) to `port`: the same check, the socket handed only the
   * allowed addresses. net.connect skips `lookup` for an IP literal: a caller checks those with `allowedAddresses`.
   */
  lookup(port: number): LookupFunction {
    return (hostname, options, callback) => {
      this.allowedAddresses(hostname.replace(/^\[|\]$/g, ''), port).then(
        (allowed) => {
          const entries: LookupAddress[] = allowed.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
          // Node 20 asks for every address (`all`) when it tries the families in turn (autoSelectFamily).
          if (options.all) (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, entries);
          else callback(null, entries[0]!.address, entries[0]!.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
    };
  }

  /** The addresses `host` resolves to that may be reached on `port`, in the resolver's order; EGRESS_DENIED when none. */
  async allowedAddresses(host: string, port: number): Promise<string[]> {
    const reasons: string[] = [];
    const allowed = (await resolveAll(host)).filter((address) => {
      const why = this.refusal(address, port);
      if (why) reasons.push(why);
      return why === null;
    });
    if (allowed.length === 0) throw new AppError(ErrorCode.EGRESS_DENIED, `egress policy refuses ${host}:${port}: ${reasons.join('; ') || 'no address'}`);
    return allowed;
  }
}

async function resolveAll(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
