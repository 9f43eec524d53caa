/**
 * The Acrobits dialect (Acrobits' web service reference): the web services an Acrobits softphone
 * calls for SMS. `/acrobits/send` is Send Message (`genericSmsSendUrl`),
 * `/acrobits/fetch` is Fetch Messages (`genericSmsFetchUrl`, fetch-messages.ts).
 * Both take GET query parameters or a POST body, form-urlencoded or JSON by
 * Content-Type, under the names `acrobits.params` configures, and
 * authenticate with the account's username and password. Success is a 2xx;
 * a failure is a non-2xx whose body has the `message` the app shows: JSON
 * `{"message": "…"}`, or `<response><message>…</message></response>` when the
 * request's Accept header asks for XML.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import { readRequestParams } from '../http/request-body.js';
import { validateRecipient } from '../../sms/validate.js';
import { fetchMessages } from './fetch-messages.js';
import { escapeXml, toAcrobitsXml, wantsXml } from './xml.js';
import type { AcrobitsCall, AcrobitsDeps, AcrobitsService } from './service.js';

export type { AcrobitsCall, AcrobitsDeps, AcrobitsService } from './service.js';

const SERVICES: ReadonlyArray<[path: string, service: AcrobitsService]> = [
  ['/acrobits/send', sendMessage],
  ['/acrobits/fetch', fetchMessages],
];

export function registerAcrobitsRoutes(app: FastifyInstance, deps: AcrobitsDeps): void {
  for (const [url, service] of SERVICES) {
    app.route({
      method: ['GET', 'POST'],
      url,
      handler: (request, reply) => handleAcrobitsRequest(request, reply, service, deps),
    });
  }
}

async function handleAcrobitsRequest(request: FastifyRequest, reply: FastifyReply, service: AcrobitsService, deps: AcrobitsDeps): Promise<FastifyReply> {
  let body: Record<string, unknown> | null;
  try {
    const params = readRequestParams(request, { json: true });
    const names = deps.acrobits.params;
    const username = params.get(names.username);
    const password = params.get(names.password);
    if (!username || password === undefined) throw new AppError(ErrorCode.AUTH_REQUIRED, 'Username and password are required');
    await deps.users.authenticate(username, password, request.ip).catch((err: unknown) => {
      if (isAppError(err) && (err.code === ErrorCode.AUTH_FAILED || err.code === ErrorCode.AUTH_LOCKED)) {
        deps.log.warn({ username, ip: request.ip, locked: err.code === ErrorCode.AUTH_LOCKED }, 'Acrobits authentication failed');
        if (err.code === ErrorCode.AUTH_FAILED) throw new AppError(ErrorCode.AUTH_FAILED, 'Wrong username or password');
      }
      throw err;
    });
    body = await service({ params, username, deps });
  } catch (err) {
    // Errors of the request get the app's error form here; anything else goes to the server's error handler.
    const mapped = toAcrobitsError(err);
    if (!mapped) throw err;
    return sendAcrobitsError(reply, request, mapped.status, mapped.message);
  }
  if (body === null) return reply.code(200).send();
  if (wantsXml(request)) return reply.code(200).type('text/xml; charset=utf-8').send(toAcrobitsXml(body));
  return reply.code(200).type('application/json; charset=utf-8').send(body);
}

/** Send Message: one recipient per request (the app calls once per recipient). */
async function sendMessage(call: AcrobitsCall): Promise<null> {
  const names = call.deps.acrobits.params;
  // The configured names first, then the seed's own templates' (`to=%sms_to%&body=%sms_body%`, and sms_to/sms_body).
  const recipient = normalizeAcrobitsRecipient(call.params.get(names.recipient, 'sms_to', 'to') ?? '');
  if (recipient === null) throw new AppError(ErrorCode.REQUEST_INVALID, 'Invalid recipient', { details: { field: 'recipient' } });
  const text = call.params.get(names.body, 'sms_body', 'body') ?? '';
  if (text.length === 0) throw new AppError(ErrorCode.MESSAGE_EMPTY, 'Message is empty', { details: { field: 'body' } });
  await call.deps.outbox.accept({
    user: call.username,
    dialect: 'acrobits',
    sender: call.deps.users.numbersOf(call.username)[0] ?? null,
    recipient,
    text,
  });
  return null;
}

/**
 * The recipient as the app sends it — a number in any human format
 * ("+1(555)123-1234") or a SIP address ("sip:+15551231234@example.com") —
 * as a plain number ("+15551231234"), or null when it is not a phone number.
 */
export function normalizeAcrobitsRecipient(value: string): string | null {
  let number = value.trim();
  const sip = /^sips?:([^@;]+)(@.*)?$/i.exec(number);
  if (sip) number = sip[1]!;
  number = number.replace(/[\s().\-/]/g, '');
  if (!/^\+?[0-9]+$/.test(number)) return null;
  return validateRecipient(number) === null ? number : null;
}

/** The one place our errors become Acrobits' HTTP status and message; null: not the request's fault. */
export function toAcrobitsError(err: unknown): { status: number; message: string } | null {
  if (!isAppError(err)) return null;
  switch (err.code) {
    case ErrorCode.AUTH_REQUIRED:
    case ErrorCode.AUTH_FAILED:
      return { status: 401, message: err.message };
    case ErrorCode.AUTH_LOCKED:
      return { status: 429, message: err.message };
    case ErrorCode.REQUEST_INVALID:
      // Seed 004's example: HTTP 406 "Invalid recipient".
      return { status: err.details?.['field'] === 'recipient' ? 406 : 400, message: err.message };
    case ErrorCode.ROUTE_NOT_FOUND:
      return { status: 406, message: 'Invalid recipient: no route to this number' };
    case ErrorCode.QUOTA_EXCEEDED:
      // Seed 004's example: HTTP 402 "Not enough credit".
      return { status: 402, message: 'Not enough credit' };
    case ErrorCode.NUMBER_SMS_DISABLED:
      return { status: 403, message: 'SMS is disabled for your number' };
    case ErrorCode.MESSAGE_EMPTY:
    case ErrorCode.REQUEST_PARSE:
      return { status: 400, message: err.message };
    case ErrorCode.MESSAGE_TOO_LONG:
    case ErrorCode.ENCODING_INVALID:
      return { status: 413, message: `Message too long: ${err.message}` };
    default:
      return null;
  }
}

/** An error that escaped a service (or that fastify raised), in the app's form. */
export function renderAcrobitsError(err: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toAcrobitsError(err);
  if (mapped) return sendAcrobitsError(reply, request, mapped.status, mapped.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return sendAcrobitsError(reply, request, err.statusCode, err.message);
  }
  const status = err.code === ErrorCode.SHUTTING_DOWN || err.code === ErrorCode.STORE_UNAVAILABLE ? 503 : 500;
  return sendAcrobitsError(reply, request, status, 'Temporary server error, please try again');
}

function sendAcrobitsError(reply: FastifyReply, request: FastifyRequest, status: number, message: string): FastifyReply {
  if (wantsXml(request)) {
    return reply
      .code(status)
      .type('text/xml; charset=utf-8')
      .send(`<response><message>${escapeXml(message)}</message></response>`);
  }
  return reply.code(status).type('application/json; charset=utf-8').send({ message });
}
