/**
 * SendSms: through the node's outbox, exactly as the HTTP SendSms (same
 * receipts, same SMSDeliveryReport to DeliveryReportURL). The call goes on
 * whatever happens to the SMS; a refused one is logged with its line.
 *
 * `SendMessage` is the same verb in the words of Ozeki's SMS-gateway commands
 * (`Originator`, `Recipient`, `MessageData`).
 *
 * telenode's extension (not Ozeki's): `WaitForReport="N"` waits up to N
 * seconds for the delivery report and runs the matching child block —
 * `<OnDelivered>`, `<OnFailed>` (failed, expired, unknown, or refused at once)
 * or `<OnTimeout>` — with `$SmsStatus` set, so an IVR can say "your receipt
 * was delivered". With children, the text goes in the `Message` attribute.
 */
import { isAppError } from '../../../shared/errors.js';
import type { Command, Outcome, RunContext } from '../script.js';
import { CONTINUE, defineVerb } from '../script.js';
import type { ScriptSmsOutcome } from '../services.js';
import { OzmlError, attr, numberAttr, requireMain } from '../xml.js';

interface SendSmsArgs {
  recipient: string;
  sender: string | null;
  text: string;
  callbackUrl: string | null;
  /** 0: do not wait. */
  waitMs: number;
  onDelivered: Command[];
  onFailed: Command[];
  onTimeout: Command[];
}

const BLOCKS = { ondelivered: 'onDelivered', onfailed: 'onFailed', ontimeout: 'onTimeout' } as const;

export const sendSms = defineVerb<SendSmsArgs>({
  name: 'SendSms',
  answers: false,
  parse: (el, p) => {
    const recipient = attr(el, 'Recipient')?.trim();
    if (!recipient) throw new OzmlError(`<${el.name}> needs a Recipient`, el.at);
    const args: SendSmsArgs = {
      recipient,
      // SendMessage, Ozeki's SMS-gateway spelling of the same verb, says Originator and MessageData.
      sender: attr(el, 'Sender', 'Originator')?.trim() || null,
      text: requireMain(el, 'the message text', 'Message', 'MessageData'),
      callbackUrl: attr(el, 'DeliveryReportURL', 'DelivaryReportURL')?.trim() || null,
      waitMs: numberAttr(el, 'WaitForReport', 0, { max: 3600 }) * 1000,
      onDelivered: [],
      onFailed: [],
      onTimeout: [],
    };
    for (const child of el.children) {
      const block = BLOCKS[child.key as keyof typeof BLOCKS];
      if (!block) throw new OzmlError(`<${el.name}> may hold <OnDelivered>, <OnFailed> and <OnTimeout>, not <${child.name}>`, child.at);
      if (args.waitMs === 0) throw new OzmlError(`<${child.name}> needs WaitForReport on its <${el.name}>`, child.at);
      args[block].push(...p.parseBlock(child.children));
    }
    return args;
  },
  async run(args, ctx) {
    const v = (s: string) => ctx.vars.substitute(s);
    let smsId: string | null = null;
    try {
      ({ smsId } = await ctx.services.sms.send({
        recipient: v(args.recipient),
        sender: args.sender ? v(args.sender) : null,
        text: v(args.text),
        callbackUrl: args.callbackUrl ? v(args.callbackUrl) : null,
        callId: ctx.session.info.id,
      }));
      ctx.vars.set('SmsId', smsId);
      ctx.log.info({ smsId }, 'script sent an SMS');
    } catch (err) {
      ctx.log.warn({ err, code: isAppError(err) ? err.code : undefined }, 'script SendSms refused; the call goes on');
    }
    if (args.waitMs === 0) return CONTINUE;
    return afterReport(args, ctx, smsId === null ? 'refused' : await ctx.services.sms.waitForOutcome(smsId, args.waitMs, ctx.signal));
  },
});

async function afterReport(args: SendSmsArgs, ctx: RunContext, outcome: ScriptSmsOutcome | 'refused'): Promise<Outcome> {
  ctx.vars.set('SmsStatus', outcome);
  if (ctx.signal.aborted) return CONTINUE; // the caller hung up while we waited: the interpreter stops
  const block = outcome === 'delivered' ? args.onDelivered : outcome === 'timeout' ? args.onTimeout : args.onFailed;
  return block.length > 0 ? ctx.runBlock(block) : CONTINUE;
}
