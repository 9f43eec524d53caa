/** Calls, when voice is on: the SIP engine, media and OzML, with IOVOX inbound call flows claiming the calls they match. */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { EgressPolicy } from '../shared/egress.js';
import type { Logger } from '../shared/log.js';
import { inboundCallFlowRouter } from '../iovox/inbound-flows.js';
import { buildVoice, type VoiceNode } from '../voice/build-voice.js';
import type { MessagingExtras } from './messaging-extras.js';
import type { SmsCore } from './sms.js';
import type { Store } from './store.js';
import { ozmlVoiceServices } from './voice-services.js';
import { egressConfig } from './webhooks.js';
import { CallFlowRepo } from '../store/call-flow-repo.js';
import type { FlowContext } from '../iovox/flow/flow.js';
import { parseCallFlow } from '../iovox/flow/parse-call-flow.js';
import type { StoredFlowLoader } from '../iovox/inbound-flows.js';

export interface VoiceParts {
  config: Readonly<Config>;
  store: Store;
  sms: SmsCore;
  extras: MessagingExtras;
  log: Logger;
  registry: Registry;
  afterCommit: () => void;
}

export function buildVoiceNode({ config, store, sms, extras, log, registry, afterCommit }: VoiceParts): VoiceNode | null {
  if (!config.voice.enabled) return null;
  return buildVoice(config.voice, {
    storeDir: store.dataDir,
    log,
    registry,
    egress: new EgressPolicy(egressConfig(config)),
    ozml: {
      ...ozmlVoiceServices({ sql: store.sql, nodeId: store.cluster?.nodeId ?? null, committer: store.committer, outbox: sms.outbox, afterCommit, log }),
      email: extras.outboundEmail,
    },
    // IOVOX inbound call flows take the calls they match; the rest run OzML routes.
    claim: inboundCallFlowRouter(extras.inboundCallFlows, {
      sms: sms.outbox,
      flows: extras.iovoxFlows,
      stored: storedCallFlows(new CallFlowRepo(store.sql), extras.iovoxFlows),
      log: log.child({ component: 'iovox' }),
    }),
  });
}

/** Uploaded flows for inbound calls: read when the call starts and checked against the node as it is now. */
function storedCallFlows(repo: CallFlowRepo, context: FlowContext): StoredFlowLoader {
  return async (user, name) => {
    const stored = await repo.get(user, name);
    return stored ? parseCallFlow(stored.xml, context) : null;
  };
}
