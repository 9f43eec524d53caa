/**
 * Call commands in a cluster (issue 17, item 6): each node runs its own calls, so ListActiveCalls shows
 * every node's and a command about a call another node runs (Hangup, Speak, Play, SendDTMF, BlindTransfer,
 * ForwardCall, Forward) is done by the node that owns it. The node that got the request asks the other live
 * nodes the same Ozeki request (the user's own credentials, checked again there) and answers with theirs.
 * A request that was forwarded is never forwarded again (FORWARDED_HEADER).
 */
import { XMLParser } from 'fast-xml-parser';

/** The other live nodes, asked over their HTTP API (src/app/cluster.ts implements it). */
export interface CallPeers {
  /** The same Ozeki request on every other live node; their answers' XML (a node that does not answer is left out). */
  ask(query: URLSearchParams): Promise<string[]>;
}

export const FORWARDED_HEADER = 'x-telenode-forwarded';

/** Commands about one call, by CallId: the owner does the work. */
export const CALL_COMMANDS = new Set(['hangup', 'speak', 'play', 'senddtmf', 'record', 'hold', 'unhold', 'blindtransfer', 'forwardcall', 'forward']);

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Call' });

/** The Ozeki result code of an answer's XML, or null when it is not one. */
export function resultCodeOf(xml: string): number | null {
  const doc = parser.parse(xml) as Record<string, { Code?: string }>;
  const root = Object.keys(doc).find((k) => k !== '?xml');
  const code = root ? Number(doc[root]?.Code) : NaN;
  return Number.isFinite(code) ? code : null;
}

/** The Call rows of a ListActiveCalls answer. */
export function activeCallsOf(xml: string): Array<Record<string, unknown>> {
  const doc = parser.parse(xml) as Record<string, { ActiveCalls?: { Call?: Array<Record<string, unknown>> } | '' }>;
  const root = Object.keys(doc).find((k) => k !== '?xml');
  const active = root ? doc[root]?.ActiveCalls : undefined;
  return active && typeof active === 'object' ? (active.Call ?? []) : [];
}
