/**
 * SDP offer/answer (RFC 3264) for one audio stream with G.711 and
 * telephone-event (RFC 4733), parsed and written by sdp-transform.
 *
 * We answer with the first codec of the offer we support (the offerer's
 * preference, §6.1), the offer's telephone-event payload type, and the
 * direction that mirrors the offer's (sendonly ↔ recvonly: hold, §8.4).
 */
import { isIP } from 'node:net';
import * as sdpTransform from 'sdp-transform';
import { blockList } from '../../shared/ip-address.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { G711Law } from './g711.js';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface MediaDescription {
  address: string;
  port: number;
  /** Payload types in the offerer's order, with their codec names. */
  codecs: { payloadType: number; name: string; rate: number }[];
  telephoneEventPayloadType: number | null;
  direction: MediaDirection;
}

export interface NegotiatedMedia {
  remote: { address: string; port: number };
  law: G711Law;
  payloadType: number;
  dtmfPayloadType: number | null;
  /** Whether we may send: false while the peer holds the call. */
  weSend: boolean;
  answerDirection: MediaDirection;
}

const STATIC_PAYLOAD_TYPES: Record<number, { name: string; rate: number }> = { 0: { name: 'PCMU', rate: 8000 }, 8: { name: 'PCMA', rate: 8000 } };
const SUPPORTED: readonly G711Law[] = ['PCMU', 'PCMA'];
const DEFAULT_TELEPHONE_EVENT_PT = 101;

/**
 * Multicast (224.0.0.0/4, RFC 5771; ff00::/8, RFC 4291 §2.7) and the limited broadcast address. A caller who could aim
 * a call's 50 packets a second at one would have the node stream them to every host of the group or the LAN.
 */
const GROUP_ADDRESSES = blockList(['224.0.0.0/4', 'ff00::/8', '255.255.255.255/32']);

/** Whether a c= address is a group's, with or without the TTL and count that follow a multicast one (RFC 4566 §5.7). */
function isGroupAddress(address: string): boolean {
  const host = address.split('/')[0]!;
  const family = isIP(host);
  return family !== 0 && GROUP_ADDRESSES.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

function invalid(why: string): AppError {
  return new AppError(ErrorCode.SDP_INVALID, `SDP: ${why}`);
}

export function parseAudioDescription(text: string): MediaDescription {
  let session: sdpTransform.SessionDescription;
  try {
    session = sdpTransform.parse(text);
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const audio = session.media?.find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) throw invalid('no audio stream');
  const address = audio.connection?.ip ?? session.connection?.ip;
  if (!address) throw invalid('no connection address (c=)');
  if (isGroupAddress(address)) throw invalid(`${address} is a multicast or broadcast address: calls take unicast RTP only`);
  if (!Number.isInteger(audio.port) || audio.port < 0 || audio.port > 65535) throw invalid(`bad audio port ${audio.port}`);
  const payloads = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  if (payloads.length === 0 || payloads.some((pt) => !Number.isInteger(pt))) throw invalid('bad payload type list');
  const codecs = payloads.map((payloadType) => {
    const rtpmap = audio.rtp?.find((r) => r.payload === payloadType);
    const known = STATIC_PAYLOAD_TYPES[payloadType];
    return { payloadType, name: (rtpmap?.codec ?? known?.name ?? '').toUpperCase(), rate: rtpmap?.rate ?? known?.rate ?? 0 };
  });
  const telephoneEvent = codecs.find((c) => c.name === 'TELEPHONE-EVENT' && c.rate === 8000);
  const holdAddress = address === '0.0.0.0'; // RFC 2543-style hold (§8.4 of RFC 3264 still honours it)
  const direction = (audio.direction ?? session.direction ?? (holdAddress ? 'inactive' : 'sendrecv')) as MediaDirection;
  return {
    address,
    port: audio.port,
    codecs,
    telephoneEventPayloadType: telephoneEvent?.payloadType ?? null,
    direction: holdAddress && direction === 'sendrecv' ? 'sendonly' : direction,
  };
}

/** Pick what we answer with; throws SDP_NO_COMMON_CODEC (→ 488) when nothing fits. */
export function negotiate(offer: MediaDescription, allowed: readonly G711Law[] = SUPPORTED): NegotiatedMedia {
  const codec = offer.codecs.find((c) => (allowed as readonly string[]).includes(c.name) && c.rate === 8000);
  if (!codec) {
    throw new AppError(
      ErrorCode.SDP_NO_COMMON_CODEC,
      `SDP: none of ${offer.codecs.map((c) => c.name || c.payloadType).join(', ')} is supported (we have ${allowed.join(', ')})`,
    );
  }
  const answerDirection = mirror(offer.direction);
  return {
    remote: { address: offer.address, port: offer.port },
    law: codec.name as G711Law,
    payloadType: codec.payloadType,
    dtmfPayloadType: offer.telephoneEventPayloadType,
    weSend: answerDirection === 'sendrecv' || answerDirection === 'sendonly',
    answerDirection,
  };
}

function mirror(direction: MediaDirection): MediaDirection {
  switch (direction) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    default:
      return direction;
  }
}

export interface LocalMedia {
  address: string;
  port: number;
  sessionId: number;
  version: number;
}

export function writeAnswer(local: LocalMedia, media: NegotiatedMedia): string {
  const rtp: { payload: number; codec: string; rate: number }[] = [{ payload: media.payloadType, codec: media.law, rate: 8000 }];
  const payloads = [media.payloadType];
  const fmtp: { payload: number; config: string }[] = [];
  if (media.dtmfPayloadType !== null) {
    rtp.push({ payload: media.dtmfPayloadType, codec: 'telephone-event', rate: 8000 });
    fmtp.push({ payload: media.dtmfPayloadType, config: '0-16' });
    payloads.push(media.dtmfPayloadType);
  }
  return write(local, rtp, payloads, fmtp, media.answerDirection);
}

/** Our offer for outbound calls and late-offer INVITEs: PCMU, PCMA, telephone-event. */
export function writeOffer(local: LocalMedia, direction: MediaDirection = 'sendrecv'): string {
  return write(
    local,
    [
      { payload: 0, codec: 'PCMU', rate: 8000 },
      { payload: 8, codec: 'PCMA', rate: 8000 },
      { payload: DEFAULT_TELEPHONE_EVENT_PT, codec: 'telephone-event', rate: 8000 },
    ],
    [0, 8, DEFAULT_TELEPHONE_EVENT_PT],
    [{ payload: DEFAULT_TELEPHONE_EVENT_PT, config: '0-16' }],
    direction,
  );
}

function write(
  local: LocalMedia,
  rtp: { payload: number; codec: string; rate: number }[],
  payloads: number[],
  fmtp: { payload: number; config: string }[],
  direction: MediaDirection,
): string {
  return sdpTransform.write({
    version: 0,
    origin: { username: 'telenode', sessionId: local.sessionId, sessionVersion: local.version, netType: 'IN', ipVer: 4, address: local.address },
    name: 'telenode',
    connection: { version: 4, ip: local.address },
    timing: { start: 0, stop: 0 },
    media: [{ type: 'audio', port: local.port, protocol: 'RTP/AVP', payloads: payloads.join(' '), rtp, fmtp, ptime: 20, direction }],
  } as sdpTransform.SessionDescription);
}
