/** The node's parts as Ozeki extensions (ListExtensions), read live from config, the SIP engine and the connectors. */
import type { Config } from '../config/schema.js';
import type { ExtensionSummary } from '../api/ozeki/extension-model.js';
import type { VoiceNode } from '../voice/build-voice.js';
import type { SmsCore } from './sms.js';

const isNumber = (match: string) => /^\+?[0-9]+$/.test(match);

export function extensionDirectory(config: Readonly<Config>, sms: SmsCore, voice: VoiceNode | null): () => ExtensionSummary[] {
  return () => {
    const rows: ExtensionSummary[] = [];
    const engine = voice?.engine.status();
    const voiceUp = engine?.up ?? false;
    if (voice) rows.push({ id: config.voice.notifications.apiExtension, type: 'API extension', phoneNumber: '', connected: voiceUp });
    for (const [i, route] of config.voice.routes.entries()) {
      rows.push({
        id: isNumber(route.match) ? route.match : `route-${i + 1}`,
        type: 'IVR extension',
        phoneNumber: isNumber(route.match) ? route.match : '',
        connected: voiceUp,
      });
    }
    for (const [i, flow] of config.iovox.callFlows.entries()) {
      rows.push({
        id: isNumber(flow.match) ? flow.match : `call-flow-${i + 1}`,
        type: 'IVR extension',
        phoneNumber: isNumber(flow.match) ? flow.match : '',
        connected: voiceUp,
      });
    }
    for (const registration of engine?.registrations ?? []) {
      rows.push({
        id: registration.aor,
        type: 'SIP account',
        phoneNumber: registration.aor.replace(/^sips?:/, '').split('@')[0] ?? '',
        connected: registration.registered,
      });
    }
    for (const connector of sms.connectors.values()) rows.push({ id: connector.id, type: 'SMS', phoneNumber: '', connected: connector.isUp() });
    return rows;
  };
}
