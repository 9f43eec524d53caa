/**
 * SendSms: through the node's outbox, exactly as the HTTP SendSms (same
 * receipts, same SMSDeliveryReport to DeliveryReportURL). The call goes on
 * whatever happens to the SMS; a refused one is logged with its line.
 */
import { isAppError } from '../../../shared/errors.js';
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, requireMain } from '../xml.js';

export const sendSms = defineVerb({
  name: 'SendSms',
  answers: false,
  parse: (el) => {
    const recipient = attr(el, 'Recipient')?.trim();
    if (!recipient) throw new OzmlError(`<${el.name}> needs a Recipient`, el.at);
    return {
      recipient,
      sender: attr(el, 'Sender')?.trim() || null,
      text: requireMain(el, 'the message text', 'Message'),
      callbackUrl: attr(el, 'DeliveryReportURL', 'DelivaryReportURL')?.trim() || null,
    };
  },
  async run(args, ctx) {
    const v = (s: string) => ctx.vars.substitute(s);
    try {
      const { smsId } = await ctx.services.sms.send({
        recipient: v(args.recipient),
        sender: args.sender ? v(args.sender) : null,
        text: v(args.text),
        callbackUrl: args.callbackUrl ? v(args.callbackUrl) : null,
        callId: ctx.session.info.id,
      });
      ctx.vars.set('SmsId', smsId);
      ctx.log.info({ smsId }, 'script sent an SMS');
    } catch (err) {
      ctx.log.warn({ err, code: isAppError(err) ? err.code : undefined }, 'script SendSms refused; the call goes on');
    }
    return CONTINUE;
  },
});
