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
import type { EgressPolicy } from '../../shared/egress.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { HttpClient } from '../../shared/http-client.js';
import type { AppClient, AppRequest } from './services.js';

export const MAX_REPLY_BYTES = 1024 * 1024;

export function createHttpAppClient(egress: EgressPolicy | null = null): AppClient {
  const http = new HttpClient(egress);
  return {
    async post(request: AppRequest): Promise<string> {
      const notification = request.fields['NotificationName'] ?? 'notification';
      const timeout = AbortSignal.timeout(request.timeoutMs);
      const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
      let answer;
      try {
        answer = await http.fetch(request.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
          body: new URLSearchParams(request.fields).toString(),
          signal,
          maxBytes: MAX_REPLY_BYTES,
          tooLargeCode: ErrorCode.OZML_APP_FAILED,
        });
      } catch (err) {
        const code = (err as { code?: string }).code;
        const why = timeout.aborted ? `no answer within ${request.timeoutMs} ms` : (err as Error).message;
        if (code === ErrorCode.EGRESS_DENIED) throw failed(`refused: ${why}`, { cause: err });
        throw failed(`failed: ${why}`, { cause: err, retryable: code !== ErrorCode.OZML_APP_FAILED });
      }
      if (answer.status < 200 || answer.status >= 300) throw failed(`answered HTTP ${answer.status}`, { protocolStatus: answer.status });
      return answer.body.toString('utf8');

      function failed(why: string, options: { cause?: unknown; protocolStatus?: number; retryable?: boolean } = {}): AppError {
        return new AppError(ErrorCode.OZML_APP_FAILED, `${notification} to ${request.url} ${why}`, options);
      }
    },
  };
}
