/**
 * The Voximplant dialect (Voximplant's Management API reference): Management API SMS methods at
 * `/platform_api/<Method>` (or `/platform_api` with `cmd=<Method>`), GET
 * query or POST form, authenticated by `account_id` + `api_key` or a service-account JWT (auth.ts). Answers are JSON; errors
 * are Voximplant's error object with HTTP 200, as its clients expect, except
 * our own failures (HTTP 500/503). Methods are a registry; this file holds the
 * transport and the parameter helpers the methods share.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import { readRequestParams } from '../http/request-body.js';
import { renderVoximplantError, toVoximplantError, voximplantError } from './errors.js';
import { a2pSendSms, sendSmsMessage } from './send.js';
import { controlSms } from './control-sms.js';
import { a2pGetSmsHistory, getSmsHistory } from './history.js';
import type { VoximplantAnswer, VoximplantDeps, VoximplantMethod } from './method.js';

export type { VoximplantAnswer, VoximplantCall, VoximplantDeps, VoximplantMethod } from './method.js';

/** Method name (lower case) → handler. */
export const VOXIMPLANT_METHODS = new Map<string, VoximplantMethod>([
  ['sendsmsmessage', sendSmsMessage],
  ['a2psendsms', a2pSendSms],
  ['controlsms', controlSms],
  ['getsmshistory', getSmsHistory],
  ['a2pgetsmshistory', a2pGetSmsHistory],
]);

const JSON_TYPE = 'application/json; charset=utf-8';

export function registerVoximplantRoutes(app: FastifyInstance, deps: VoximplantDeps): void {
  const handler = (request: FastifyRequest<{ Params: { method?: string } }>, reply: FastifyReply) => handleVoximplantRequest(request, reply, deps);
  for (const url of ['/platform_api', '/platform_api/:method']) {
    app.route({ method: ['GET', 'POST'], url, handler });
  }
}

export { renderVoximplantError };

async function handleVoximplantRequest(
  request: FastifyRequest<{ Params: { method?: string } }>,
  reply: FastifyReply,
  deps: VoximplantDeps,
): Promise<FastifyReply> {
  let answer: VoximplantAnswer;
  try {
    const params = readRequestParams(request, { json: false });
    const name = request.params.method ?? params.get('cmd') ?? '';
    if (name.trim() === '') throw new AppError(ErrorCode.COMMAND_MISSING, "Missing 'cmd' parameter");
    const method = VOXIMPLANT_METHODS.get(name.toLowerCase());
    if (!method) throw new AppError(ErrorCode.COMMAND_UNKNOWN, `Unknown command '${name.slice(0, 60)}'`);
    let username: string;
    try {
      username = await deps.voximplantAuth.authenticate(params, request.headers.authorization, request.ip);
    } catch (err) {
      if (isAppError(err)) deps.log.warn({ ip: request.ip, method: name, locked: err.code === ErrorCode.AUTH_LOCKED }, 'Voximplant API authentication failed');
      throw err;
    }
    answer = await method({ params, username, deps });
  } catch (err) {
    // Errors of the request become Voximplant's error object; anything else goes to the server's error handler.
    const mapped = toVoximplantError(err);
    if (!mapped) throw err;
    return reply.code(200).type(JSON_TYPE).send(voximplantError(mapped.code, mapped.msg));
  }
  if ('csv' in answer) {
    return reply.code(200).type('text/csv; charset=utf-8').header('x-total-count', String(answer.totalCount)).send(answer.csv);
  }
  return reply.code(200).type(JSON_TYPE).send(answer.json);
}
