/**
 * REGISTER so telenode can sit on a PBX as an extension (RFC 3261 §10):
 * digest credentials on challenge, refresh before expiry, backoff after a
 * failure, unregister (Expires: 0) on stop.
 */
import * as sip from 'sip';
import * as digest from 'sip/digest.js';
import { backoffDelay } from '../../../shared/backoff.js';
import type { Logger } from '../../../shared/log.js';
import { newTag } from './dialog.js';
import { BuiltinOutboundCall } from './outbound-call.js';

export interface RegistrationConfig {
  /** sip:pbx.example.com[:port][;transport=tcp] */
  registrar: string;
  /** Address of record: sip:1001@pbx.example.com (defaults to username @ registrar host). */
  aor: string | null;
  username: string;
  password: string;
  expiresSeconds: number;
}

export class Registration {
  registered = false;
  lastError: string | null = null;
  expiresAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seq = 1;
  private failures = 0;
  private stopped = false;
  private readonly callId: string;
  private readonly tag = newTag();
  readonly aor: string;

  constructor(
    private readonly config: RegistrationConfig,
    private readonly stack: sip.Stack,
    private readonly contactUri: string,
    private readonly log: Logger,
  ) {
    this.aor = config.aor ?? `sip:${config.username}@${sip.parseUri(config.registrar).host}`;
    this.callId = BuiltinOutboundCall.newCallId('telenode');
  }

  start(): void {
    this.send(this.config.expiresSeconds);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.registered) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        this.send(0, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private request(expires: number): sip.SipRequest {
    return {
      method: 'REGISTER',
      uri: this.config.registrar,
      version: '2.0',
      headers: {
        via: [],
        to: { uri: this.aor, params: {} },
        from: { uri: this.aor, params: { tag: this.tag } },
        'call-id': this.callId,
        cseq: { seq: this.seq++, method: 'REGISTER' },
        contact: [{ uri: this.contactUri, params: { expires: String(expires) } }],
        expires: String(expires),
        'max-forwards': '70',
      } as sip.SipHeaders,
      content: '',
    };
  }

  private send(expires: number, done?: () => void): void {
    let challenged = false;
    const onResponse = (response: sip.SipResponse) => {
      if (response.status < 200) return;
      if ((response.status === 401 || response.status === 407) && !challenged) {
        challenged = true;
        const again = this.request(expires);
        digest.signRequest({}, again, response, { user: this.config.username, password: this.config.password });
        this.stack.send(again, onResponse);
        return;
      }
      if (done) {
        done();
        return;
      }
      if (response.status < 300) this.succeeded(response, expires);
      else this.failed(`${response.status} ${response.reason}`);
    };
    this.stack.send(this.request(expires), onResponse);
  }

  private succeeded(response: sip.SipResponse, asked: number): void {
    const granted = grantedExpires(response, this.contactUri) ?? asked;
    this.registered = granted > 0;
    this.lastError = null;
    this.failures = 0;
    this.expiresAt = Date.now() + granted * 1000;
    this.log.info({ aor: this.aor, expires: granted }, 'registered');
    // Refresh at 80% of the granted time, and at least 5 s before it runs out.
    this.schedule(Math.max(1000, Math.min(granted * 800, (granted - 5) * 1000)));
  }

  private failed(why: string): void {
    this.registered = false;
    this.lastError = why;
    this.failures++;
    this.log.warn({ aor: this.aor, why }, 'registration failed');
    this.schedule(backoffDelay({ initialMs: 2000, maxMs: 300_000, jitter: 0.2 }, this.failures));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(this.config.expiresSeconds), ms);
  }
}

function grantedExpires(response: sip.SipResponse, contactUri: string): number | null {
  const contacts = response.headers.contact;
  if (Array.isArray(contacts)) {
    const ours = contacts.find((c) => c.uri === contactUri) ?? contacts[0];
    const value = ours?.params['expires'];
    if (value) return Number(value);
  }
  const header = response.headers['expires'];
  return typeof header === 'string' && header.trim() !== '' ? Number(header) : null;
}
