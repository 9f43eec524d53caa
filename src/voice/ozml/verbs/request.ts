/**
 * Request (ozeki-ozml.md "Request", Ozeki 10): place a call for an API extension and run per-state blocks on the
 * script's own call — `<Request DialedAddress="102@pbx.example"><OnSetup>…</OnSetup><OnError>…</OnError></Request>`.
 * Attributes: `DialedAddress` (required: `user@host` or a SIP URI, else a number through voice.outbound.trunk),
 * `ExtensionAddress` (the API extension whose script the placed call runs once answered; default
 * voice.notifications.apiExtension), `CallerPhoneNumber`, `CallerDisplayName`, `RingTime`.
 * `<OnSetup>` runs as the INVITE goes out, `<OnError>` when the call cannot be connected; the script then goes on
 * after the Request (it waits until the placed call is answered or has failed). Ozeki's page is cut off after
 * these two blocks, so any other child is refused when the script is parsed rather than guessed at. Sets
 * `$RequestCallId` once answered.
 */
import type { Command } from '../script.js';
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, numberAttr } from '../xml.js';

interface RequestArgs {
  dialed: string;
  extension: string | null;
  callerId: string | null;
  callerDisplayName: string | null;
  ringSeconds: number | null;
  onSetup: Command[];
  onError: Command[];
}

const BLOCKS = { onsetup: 'onSetup', onerror: 'onError' } as const;

export const request = defineVerb<RequestArgs>({
  name: 'Request',
  answers: false,
  parse: (el, p) => {
    const dialed = attr(el, 'DialedAddress')?.trim();
    if (!dialed) throw new OzmlError(`<${el.name}> needs a DialedAddress`, el.at);
    const args: RequestArgs = {
      dialed,
      extension: attr(el, 'ExtensionAddress')?.trim() || null,
      callerId: attr(el, 'CallerPhoneNumber')?.trim() || null,
      callerDisplayName: attr(el, 'CallerDisplayName')?.trim() || null,
      ringSeconds: attr(el, 'RingTime') === undefined ? null : numberAttr(el, 'RingTime', 60, { min: 1, max: 600, integer: true }),
      onSetup: [],
      onError: [],
    };
    for (const child of el.children) {
      const block = BLOCKS[child.key as keyof typeof BLOCKS];
      if (!block) throw new OzmlError(`<${el.name}> may hold <OnSetup> and <OnError> (all Ozeki's page shows), not <${child.name}>`, child.at);
      args[block].push(...p.parseBlock(child.children));
    }
    return args;
  },
  async run(args, ctx) {
    const dialer = ctx.services.dialer;
    if (!dialer) {
      ctx.log.warn({ dialed: args.dialed }, 'script Request skipped: this node cannot place calls');
      return args.onError.length > 0 ? ctx.runBlock(args.onError) : CONTINUE;
    }
    const v = (s: string | null) => (s === null ? null : ctx.vars.substitute(s));
    const dialed = v(args.dialed)!;
    const placing = dialer.request({
      dialed,
      extension: v(args.extension),
      callerId: v(args.callerId),
      callerDisplayName: v(args.callerDisplayName),
      ringSeconds: args.ringSeconds,
      ozml: null,
    });
    placing.catch(() => undefined); // looked at below, after OnSetup
    if (args.onSetup.length > 0) {
      const setup = await ctx.runBlock(args.onSetup);
      if (setup.kind !== 'continue') return setup;
    }
    try {
      const { callId } = await placing;
      ctx.vars.set('RequestCallId', callId);
      ctx.log.info({ dialed, callId }, 'script Request answered');
      return CONTINUE;
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, dialed }, 'script Request not connected');
      return args.onError.length > 0 ? ctx.runBlock(args.onError) : CONTINUE;
    }
  },
});
