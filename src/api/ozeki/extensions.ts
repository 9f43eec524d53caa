/**
 * Ozeki's ListExtensions and ListExtensionTypes (ozeki-ozml.md §3.4):
 * telenode's parts in Ozeki's extension model — its API extension, the OzML
 * script routes and IOVOX call flows (IVR extensions, by the called number
 * they answer), its SIP registrations and its SMS connectors, each with
 * Ozeki 10's `Id`, `Type`, `PhoneNumber` and `State` (Connected or
 * Disconnected). `Type` filters. Ozeki does not publish ListExtensionTypes'
 * answer; telenode lists the types it has, with what each stands for.
 */
import type { OzekiCommandContext, OzekiResult } from './command.js';
import { OzekiCode } from './xml.js';

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

export async function listExtensionsCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const type = ctx.params.get('Type')?.trim().toLowerCase();
  const rows = ctx.deps
    .extensions()
    .filter((e) => !type || e.type.toLowerCase() === type)
    .map((e) => ({ Id: e.id, Type: e.type, PhoneNumber: e.phoneNumber, State: e.connected ? 'Connected' : 'Disconnected' }));
  return { code: OzekiCode.Ok, extra: { Extensions: rows.length > 0 ? { ExtensionSummary: rows } : '' } };
}

export async function listExtensionTypesCommand(): Promise<OzekiResult> {
  const rows = Object.entries(EXTENSION_TYPES).map(([name, description]) => ({ Name: name, Description: description }));
  return { code: OzekiCode.Ok, extra: { ExtensionTypes: { ExtensionType: rows } } };
}
