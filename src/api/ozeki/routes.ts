/**
 * The Ozeki HTTP API dialect: `GET|POST /api?command=…` (Ozeki 10) and
 * `/?command=…` (Phone System XE), parameters case-insensitive, always HTTP
 * 200 with an XML result. Commands are a registry, not a switch; this file
 * holds the transport and the error mapping, each command its own handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, isAppError } from '../../shared/errors.js';
import { activeCallsOf, CALL_COMMANDS, FORWARDED_HEADER, resultCodeOf, type CallPeers } from './call-peers.js';
import { OzekiCode, formatOzekiMessage, renderOzekiResult } from './xml.js';
import { type Params, decodeUtf8, parseQuery, parseUrlEncoded } from '../http/request-params.js';
import { sendSmsCommand } from './send-sms.js';
import { sendEmailCommand } from './send-email.js';
import { receiveMessageCommand, sendMessageCommand } from './gateway-messages.js';
import { listExtensionTypesCommand, listExtensionsCommand } from './extensions.js';
import { listAddressbookContactsCommand, listAddressbookNamesCommand } from './address-book.js';
import { callCommand, callSetupCommand, hangupCommand, requestCommand, listActiveCallsCommand, listCallHistoryCommand } from './calls.js';
import {
  attendedTransferCommand,
  blindTransferCommand,
  forwardCallCommand,
  holdCommand,
  playCommand,
  recordCommand,
  sendDtmfCommand,
  speakCommand,
  unholdCommand,
} from './live-call.js';
import type { OzekiCommand, OzekiDeps, OzekiResult } from './command.js';

export type { OzekiCommand, OzekiCommandContext, OzekiDeps, OzekiResult } from './command.js';
export { invalidParameter } from './command.js';

/** Command name (lower case) → handler. */
export const OZEKI_COMMANDS = new Map<string, { name: string; run: OzekiCommand }>([
  ['sendsms', { name: 'SendSms', run: sendSmsCommand }],
  ['listaddressbookcontacts', { name: 'ListAddressbookContacts', run: listAddressbookContactsCommand }],
  ['listaddressbooknames', { name: 'ListAddressbookNames', run: listAddressbookNamesCommand }],
  ['call', { name: 'Call', run: callCommand }],
  ['hangup', { name: 'Hangup', run: hangupCommand }],
  ['callsetup', { name: 'CallSetup', run: callSetupCommand }],
  ['request', { name: 'Request', run: requestCommand }],
  ['listactivecalls', { name: 'ListActiveCalls', run: listActiveCallsCommand }],
  ['listcallhistory', { name: 'ListCallHistory', run: listCallHistoryCommand }],
  ['sendemail', { name: 'SendEmail', run: sendEmailCommand }],
  ['sendmessage', { name: 'SendMessage', run: sendMessageCommand }],
  ['receivemessage', { name: 'ReceiveMessage', run: receiveMessageCommand }],
  ['listextensions', { name: 'ListExtensions', run: listExtensionsCommand }],
  ['listextensiontypes', { name: 'ListExtensionTypes', run: listExtensionTypesCommand }],
  ['speak', { name: 'Speak', run: speakCommand }],
  ['play', { name: 'Play', run: playCommand }],
  ['senddtmf', { name: 'SendDTMF', run: sendDtmfCommand }],
  ['record', { name: 'Record', run: recordCommand }],
  ['hold', { name: 'Hold', run: holdCommand }],
  ['unhold', { name: 'Unhold', run: unholdCommand }],
  ['blindtransfer', { name: 'BlindTransfer', run: blindTransferCommand }],
  ['attendedtransfer', { name: 'AttendedTransfer', run: attendedTransferCommand }],
  ['forwardcall', { name: 'ForwardCall', run: forwardCallCommand }],
  ['forward', { name: 'Forward', run: forwardCallCommand }],
  // Phone System XE's name for ListCallHistory.
  ['getcallhistory', { name: 'GetCallHistory', run: listCallHistoryCommand }],
]);

export const OZEKI_CONTENT_TYPE = 'application/xml; charset=utf-8';

export function registerOzekiRoutes(app: FastifyInstance, deps: OzekiDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const xml = await handleOzekiRequest(request, deps);
    return reply.code(200).type(OZEKI_CONTENT_TYPE).send(xml);
  };
  for (const url of ['/api', '/']) {
    app.route({ method: ['GET', 'POST'], url, handler });
  }
}

/**
 * Render an error that escaped a handler. A request fastify refused (body too
 * large, bad framing) is Ozeki's 300 with HTTP 200, as every Ozeki answer; our
 * own failure (store down, shutting down) keeps the XML but says so with HTTP
 * 500/503, because Ozeki's table has no code for it and the client should retry.
 */
export function renderOzekiError(err: Error & { statusCode?: number; code?: string }, url = ''): { status: number; body: string } {
  const command = commandOf(url);
  const clientError = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500;
  if (clientError) return { status: 200, body: renderOzekiResult(command, OzekiCode.ParseError, formatOzekiMessage(OzekiCode.ParseError, err.message)) };
  const status = err.code === ErrorCode.SHUTTING_DOWN || err.code === ErrorCode.STORE_UNAVAILABLE ? 503 : 500;
  // The reason is in the log (the server's error handler logs it); the client learns only to try again.
  return { status, body: renderOzekiResult(command, OzekiCode.ParseError, formatOzekiMessage(OzekiCode.ParseError, 'internal error, try again')) };
}

/** The command a request names in its query string, as written (a 300 keeps it in the root element), or null. */
function commandOf(url: string): string | null {
  try {
    const name = parseQuery(url).get('command');
    return name ? (OZEKI_COMMANDS.get(name.toLowerCase())?.name ?? null) : null;
  } catch {
    const raw = /[?&]command=([A-Za-z]+)/i.exec(url)?.[1];
    return raw ? (OZEKI_COMMANDS.get(raw.toLowerCase())?.name ?? null) : null;
  }
}

async function handleOzekiRequest(request: FastifyRequest, deps: OzekiDeps): Promise<string> {
  let params: Params;
  try {
    params = parseQuery(request.url);
    if (request.method === 'POST' && Buffer.isBuffer(request.body) && request.body.length > 0) {
      params.merge(parseUrlEncoded(decodeUtf8(request.body)));
    }
  } catch (err) {
    return renderOzekiResult(commandOf(request.url), OzekiCode.ParseError, formatOzekiMessage(OzekiCode.ParseError, (err as Error).message));
  }

  const commandName = params.get('command') ?? '';
  const command = OZEKI_COMMANDS.get(commandName.toLowerCase());
  if (!command) {
    return renderOzekiResult(null, OzekiCode.NotImplementedCommand, formatOzekiMessage(OzekiCode.NotImplementedCommand, commandName));
  }

  const username = params.get('Username');
  const password = params.get('Password');
  if (!username || password === undefined) {
    return renderOzekiResult(command.name, OzekiCode.AuthenticationRequired, OzekiCode.AuthenticationRequired.template);
  }
  try {
    await deps.users.authenticate(username, password, request.ip);
  } catch (err) {
    if (!isAppError(err) || (err.code !== ErrorCode.AUTH_FAILED && err.code !== ErrorCode.AUTH_LOCKED)) throw err;
    deps.log.warn({ username, ip: request.ip, locked: err.code === ErrorCode.AUTH_LOCKED }, 'Ozeki API authentication failed');
    // Ozeki has no lock-out code: its authentication failure, with the reason and when to come back.
    const detail = err.code === ErrorCode.AUTH_LOCKED ? { Detail: err.message } : {};
    return renderOzekiResult(command.name, OzekiCode.AuthenticationFailed, OzekiCode.AuthenticationFailed.template, detail);
  }

  try {
    const result = await command.run({ command: command.name, params, username, deps });
    const peers = request.headers[FORWARDED_HEADER] === undefined ? deps.callPeers : undefined;
    if (peers) {
      const fromPeers = await answerFromPeers(peers, command.name.toLowerCase(), params, result);
      if (fromPeers !== null) return fromPeers;
    }
    return renderOzekiResult(command.name, result.code, result.message ?? result.code.template, result.extra);
  } catch (err) {
    // Errors of the request map to Ozeki codes; anything else (store failure, shutdown) goes to the server's error handler.
    const mapped = mapError(err, command.name);
    return renderOzekiResult(command.name, mapped.code, mapped.message ?? mapped.code.template, mapped.extra);
  }
}

/**
 * In a cluster: ListActiveCalls with every node's calls, or a call command's answer from the node that runs
 * the call; null to answer with this node's own result.
 */
async function answerFromPeers(peers: CallPeers, name: string, params: Params, local: OzekiResult): Promise<string | null> {
  if (name === 'listactivecalls') {
    const own = (local.extra?.['ActiveCalls'] as { Call?: Array<Record<string, unknown>> } | '' | undefined) || { Call: [] };
    const rows = [...(own.Call ?? []), ...(await peers.ask(new URLSearchParams([...params.entries()]))).flatMap(activeCallsOf)];
    return renderOzekiResult('ListActiveCalls', OzekiCode.Ok, OzekiCode.Ok.template, { ActiveCalls: rows.length > 0 ? { Call: rows } : '' });
  }
  if (!CALL_COMMANDS.has(name) || local.code !== OzekiCode.CallNotFound) return null;
  const answers = await peers.ask(new URLSearchParams([...params.entries()]));
  return answers.find((xml) => resultCodeOf(xml) !== OzekiCode.CallNotFound.code) ?? null;
}

/** The one place our errors become Ozeki codes. */
function mapError(err: unknown, command: string): OzekiResult {
  if (!isAppError(err)) throw err;
  const field = typeof err.details?.['field'] === 'string' ? (err.details['field'] as string) : '';
  switch (err.code) {
    case ErrorCode.REQUEST_INVALID:
    case ErrorCode.MESSAGE_EMPTY:
    case ErrorCode.MESSAGE_TOO_LONG:
    case ErrorCode.ENCODING_INVALID:
      return {
        code: OzekiCode.InvalidParameter,
        // The outbox names the text 'text'; Ozeki's parameter is Message.
        message: formatOzekiMessage(OzekiCode.InvalidParameter, !field || field === 'text' ? 'Message' : field, command),
        extra: { Detail: err.message },
      };
    case ErrorCode.REQUEST_PARSE:
      return { code: OzekiCode.ParseError, message: formatOzekiMessage(OzekiCode.ParseError, err.message) };
    case ErrorCode.ROUTE_NOT_FOUND:
      return { code: OzekiCode.SmsDestinationNotFound };
    case ErrorCode.NUMBER_SMS_DISABLED:
      return { code: OzekiCode.InvalidParameter, message: formatOzekiMessage(OzekiCode.InvalidParameter, 'Sender', command), extra: { Detail: err.message } };
    case ErrorCode.QUOTA_EXCEEDED:
      // Ozeki's table has no quota code; 306 (the user may not use the API) is the closest, with our reason.
      return { code: OzekiCode.ForbiddenUser, extra: { Detail: err.message } };
    default:
      throw err;
  }
}
