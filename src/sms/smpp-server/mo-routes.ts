/**
 * Inbound SMS for the SMPP server's clients: `sms.inbound.routes` rules with
 * `deliverTo: smpp:<user>` send matching messages to that user's receiver
 * binds as deliver_sm, queued durably in the transaction that stored the
 * message. Joined (one deliver_sm; message_payload, SMPP 3.4 §5.3.2.32, when
 * the text needs more than one part) or as UDH parts, per user (moParts).
 */
import type { InboundRouteConfig } from '../../config/schema.js';
import type { InboundMessage } from '../../store/inbound-repo.js';
import { buildConcatUdh, planSegments } from '../encoding/index.js';
import { compileMatcher, matchesNumber, type CompiledMatcher } from '../router.js';
import type { SmppUserConfig } from './config.js';
import type { DeliveryQueueStore } from './ports.js';

interface CompiledInboundRoute {
  recipient: CompiledMatcher | null;
  sender: CompiledMatcher | null;
  systemId: string;
}

const ESM_UDHI = 0x40;

export class SmppInboundRoutes {
  private readonly routes: CompiledInboundRoute[];

  constructor(
    routes: readonly InboundRouteConfig[],
    private readonly users: ReadonlyMap<string, SmppUserConfig>,
    private readonly queue: Pick<DeliveryQueueStore, 'enqueue'>,
  ) {
    this.routes = routes.map((r) => ({
      recipient: compileMatcher(r.recipient),
      sender: compileMatcher(r.sender),
      systemId: r.deliverTo.slice('smpp:'.length),
    }));
  }

  /** Queue the message for the SMPP client a rule names; false when no rule matches (it goes to the IncomingSMS URL). */
  async route(message: InboundMessage): Promise<boolean> {
    const route = this.routes.find((r) => matchesNumber(r.recipient, message.recipient) && matchesNumber(r.sender, message.sender));
    if (!route) return false;
    const mode = this.users.get(route.systemId)?.moParts ?? 'joined';
    const plan = planSegments(message.text, { concat: mode === 'udh' ? 'udh8' : 'payload' });
    const reference = parseInt(message.id.replace(/-/g, '').slice(-4), 16) & 0xff;
    const total = plan.parts.length;
    const base = {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: message.sender,
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: message.recipient,
      data_coding: plan.dataCoding,
    };
    if (mode === 'joined') {
      const payload = Buffer.concat(plan.parts.map((p) => p.payload));
      // One PDU: short_message holds at most 254 octets (§5.2.22); longer text rides in message_payload.
      const body: Record<string, number | Buffer> =
        payload.length <= 254 ? { esm_class: 0, short_message: payload } : { esm_class: 0, short_message: Buffer.alloc(0), message_payload: payload };
      await this.queue.enqueue({
        systemId: route.systemId,
        orderKey: `mo:${message.id}`,
        kind: 'mo',
        createdAt: message.receivedAt,
        fields: { ...base, ...body },
      });
      return true;
    }
    for (const part of plan.parts) {
      const short = total > 1 ? Buffer.concat([buildConcatUdh(reference, total, part.seq, false), part.payload]) : part.payload;
      await this.queue.enqueue({
        systemId: route.systemId,
        orderKey: `mo:${message.id}`,
        kind: 'mo',
        createdAt: message.receivedAt,
        fields: { ...base, esm_class: total > 1 ? ESM_UDHI : 0, short_message: short },
      });
    }
    return true;
  }
}
