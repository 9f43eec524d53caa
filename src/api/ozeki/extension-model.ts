/** Ozeki's extension model as telenode fills it (ListExtensions); its own module so the command contract and the commands share it. */

export interface ExtensionSummary {
  id: string;
  type: ExtensionType;
  /** The number it answers or sends from ('' where none). */
  phoneNumber: string;
  connected: boolean;
}

export const EXTENSION_TYPES = {
  'API extension': 'the HTTP API and its notifications (voice.notifications.apiExtension)',
  'IVR extension': 'calls to these numbers run a script: an OzML route (voice.routes) or an IOVOX call flow (iovox.callFlows)',
  'SIP account': 'a SIP registration telenode keeps with a trunk or PBX (voice.trunks)',
  SMS: 'an SMS connector: an SMPP carrier, a GSM modem or the simulator (connectors)',
} as const;
export type ExtensionType = keyof typeof EXTENSION_TYPES;
