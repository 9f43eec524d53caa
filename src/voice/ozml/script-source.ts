/**
 * Where a call's script comes from: the first route whose `match` fits the
 * called number (exact, "/regex/" or "*") names an app URL (IncomingCall is
 * POSTed, the reply is the script) or a local file. When that fails (timeout,
 * non-2xx, malformed OzML, unreadable file) the route's fallbackFile runs,
 * else the configured spoken apology; the error is logged with its line.
 * With no routes at all every call runs the built-in greeting script.
 */
import { readFile } from 'node:fs/promises';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { calledNumberMatcher } from '../route-match.js';
import type { ScriptRouteConfig } from './config.js';
import { parseOzml } from './parse.js';
import type { OzmlScript, RunContext } from './script.js';
import { escapeXml } from '../../shared/xml-escape.js';

/** `<Response><Speak>text</Speak><Hangup/></Response>`, for the greeting and the fallback. */
export function speakAndHangUp(text: string, origin: string): OzmlScript {
  return parseOzml(`<Response><Speak>${escapeXml(text)}</Speak><Hangup/></Response>`, origin);
}

interface CompiledRoute extends ScriptRouteConfig {
  test: (called: string) => boolean;
}

/** Why a call runs a fallback instead of its own script. */
export type FallbackReason = 'no-route' | 'script-failed';

export interface ScriptChoice {
  script: OzmlScript;
  /** null: the call's own script; otherwise the route's fallbackFile or the spoken apology runs. */
  fallback: { reason: FallbackReason; errorCode: string } | null;
}

export class ScriptRoutes {
  private readonly routes: CompiledRoute[];
  private readonly greeting: OzmlScript;
  readonly fallback: OzmlScript;

  constructor(routes: readonly ScriptRouteConfig[], options: { greeting: string; fallbackText: string }) {
    this.routes = routes.map((r) => ({ ...r, test: calledNumberMatcher(r.match) }));
    this.greeting = speakAndHangUp(options.greeting, 'greeting');
    this.fallback = speakAndHangUp(options.fallbackText, 'fallback');
  }

  /** The script for a new inbound call, and whether it is a fallback; never throws (failures become the fallback). */
  async scriptFor(called: string, ctx: RunContext, log: Logger): Promise<ScriptChoice> {
    if (this.routes.length === 0) return { script: this.greeting, fallback: null };
    const route = this.routes.find((r) => r.test(called));
    if (!route) {
      log.warn({ called }, 'no OzML route matches the called number; the fallback runs');
      return { script: this.fallback, fallback: { reason: 'no-route', errorCode: ErrorCode.OZML_NO_ROUTE } };
    }
    let errorCode: string = ErrorCode.OZML_APP_FAILED;
    try {
      return { script: route.url ? await this.fromApp(route, ctx) : await loadScriptFile(route.file!), fallback: null };
    } catch (err) {
      if (ctx.signal.aborted) return { script: { commands: [], origin: 'ended' }, fallback: null };
      if (isAppError(err)) errorCode = err.code;
      log.error(
        { err, code: isAppError(err) ? err.code : undefined, ...lineOf(err), source: route.url ?? route.file },
        'the call script could not be loaded; the fallback runs',
      );
    }
    const fallback = { reason: 'script-failed' as const, errorCode };
    if (route.fallbackFile) {
      try {
        return { script: await loadScriptFile(route.fallbackFile), fallback };
      } catch (err) {
        log.error({ err, ...lineOf(err), source: route.fallbackFile }, 'the fallback file could not be loaded either');
      }
    }
    return { script: this.fallback, fallback };
  }

  private async fromApp(route: CompiledRoute, ctx: RunContext): Promise<OzmlScript> {
    const body = await ctx.services.app.post({
      url: route.url!,
      fields: { NotificationName: 'IncomingCall', ...ctx.callFields() },
      timeoutMs: route.timeoutMs,
      signal: ctx.signal,
    });
    return parseOzml(body, route.url!);
  }
}

export async function loadScriptFile(path: string): Promise<OzmlScript> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError(ErrorCode.OZML_FILE_UNREADABLE, `cannot read OzML file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseOzml(text, path);
}

function lineOf(err: unknown): { line?: number; column?: number } {
  const details = isAppError(err) ? err.details : undefined;
  return typeof details?.['line'] === 'number' ? { line: details['line'] as number, column: details['column'] as number } : {};
}
