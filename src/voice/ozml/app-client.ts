/**
 * The HTTP client for notifications whose reply is OzML (IncomingCall,
 * CallConnected, DtmfEntered, GoTo, RecordCompleted): POST
 * application/x-www-form-urlencoded with NotificationName first, the URL
 * requested verbatim so its own query string reaches the app (ozeki-ozml.md
 * §1.1). These wait for the reply, so they cannot go through the durable
 * callback outbox; a timeout bounds how long the caller hears silence.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { AppClient, AppRequest } from './services.js';

const MAX_REPLY_BYTES = 1024 * 1024;

export const httpAppClient: AppClient = {
  async post(request: AppRequest): Promise<string> {
    const body = new URLSearchParams(request.fields).toString();
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
        body,
        signal,
      });
    } catch (err) {
      const why = timeout.aborted ? `no answer within ${request.timeoutMs} ms` : (err as Error).message;
      throw new AppError(ErrorCode.OZML_APP_FAILED, `${request.fields['NotificationName'] ?? 'notification'} to ${request.url} failed: ${why}`, { cause: err, retryable: true });
    }
    const text = await readLimited(response, signal);
    if (!response.ok) {
      throw new AppError(ErrorCode.OZML_APP_FAILED, `${request.fields['NotificationName'] ?? 'notification'} to ${request.url} answered HTTP ${response.status}`, {
        protocolStatus: response.status,
      });
    }
    return text;
  },
};

async function readLimited(response: Response, signal: AbortSignal): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_REPLY_BYTES) throw new AppError(ErrorCode.OZML_APP_FAILED, `the app's reply is ${length} bytes; at most ${MAX_REPLY_BYTES} are read`);
  try {
    const text = await response.text();
    if (text.length > MAX_REPLY_BYTES) throw new AppError(ErrorCode.OZML_APP_FAILED, `the app's reply is larger than ${MAX_REPLY_BYTES} bytes`);
    return text;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(ErrorCode.OZML_APP_FAILED, `reading the app's reply failed${signal.aborted ? ' (timed out)' : ''}: ${(err as Error).message}`, { cause: err });
  }
}
