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
import { EXTENSION_TYPES } from './extension-model.js';

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
