/**
 * The HTTP client for notifications whose reply is OzML (IncomingCall,
 * CallConnected, DtmfEntered, GoTo, RecordCompleted): POST
 * application/x-www-form-urlencoded with NotificationName first, the URL
 * requested verbatim so its own query string reaches the app (ozeki-ozml.md
 * §1.1). These wait for the reply, so they cannot go through the durable
 * callback outbox; a timeout bounds how long the caller hears silence.
 *
 * The URL may come from a script (GoTo, ForwardToUrl), so it goes through
 * the egress policy (only http and https; no loopback or link-local unless
 * opened), and the reply is read as a stream that stops at MAX_REPLY_BYTES:
 * a reply that never ends costs at most that much memory.
 */
import type { Agent, Dispatcher } from 'undici';
import type { EgressPolicy } from '../../shared/egress.js';
import { AppError, ErrorCode, isAppError } from '../../shared/errors.js';
import type { AppClient, AppRequest } from './services.js';
import { undici } from '../../shared/undici.js';

export const MAX_REPLY_BYTES = 1024 * 1024;

export function createHttpAppClient(egress: EgressPolicy | null = null): AppClient {
  let agent: Agent | null = null; // made by the first request, with undici
  return {
    async post(request: AppRequest): Promise<string> {
      const notification = request.fields['NotificationName'] ?? 'notification';
      const timeout = AbortSignal.timeout(request.timeoutMs);
      const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
      const failed = (why: string, options: { cause?: unknown; protocolStatus?: number; retryable?: boolean } = {}) =>
        new AppError(ErrorCode.OZML_APP_FAILED, `${notification} to ${request.url} ${why}`, options);
      let url: URL | string = request.url;
      try {
        if (egress) url = egress.parse(request.url);
        else if (!/^https?:\/\//i.test(request.url)) throw new AppError(ErrorCode.EGRESS_DENIED, 'only http and https URLs are fetched');
      } catch (err) {
        throw failed(`refused: ${(err as Error).message}`, { cause: err });
      }
      let response: Dispatcher.ResponseData;
      try {
        agent ??= new (undici().Agent)({ ...(egress ? { connect: egress.connector({ timeout: 10_000 }) } : {}) });
        response = await undici().request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
          body: new URLSearchParams(request.fields).toString(),
          signal,
          dispatcher: agent,
        });
      } catch (err) {
        const why = timeout.aborted ? `no answer within ${request.timeoutMs} ms` : (err as Error).message;
        const denied = (err as { code?: string }).code === ErrorCode.EGRESS_DENIED;
        throw failed(denied ? `refused: ${why}` : `failed: ${why}`, { cause: err, retryable: !denied });
      }
      const text = await readLimited(response.body, Number(response.headers['content-length'] ?? 0), signal);
      if (response.statusCode < 200 || response.statusCode >= 300)
        throw failed(`answered HTTP ${response.statusCode}`, { protocolStatus: response.statusCode });
      return text;
    },
  };
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, declaredLength: number, signal: AbortSignal): Promise<string> {
  if (declaredLength > MAX_REPLY_BYTES) {
    body.destroy();
    throw new AppError(ErrorCode.OZML_APP_FAILED, `the app's reply is ${declaredLength} bytes; at most ${MAX_REPLY_BYTES} are read`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) {
        body.destroy();
        throw new AppError(ErrorCode.OZML_APP_FAILED, `the app's reply is larger than ${MAX_REPLY_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError(ErrorCode.OZML_APP_FAILED, `reading the app's reply failed${signal.aborted ? ' (timed out)' : ''}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}
