/**
 * SendEmail (ozeki-ozml.md "SendEmail"): `Recipient` (required; several
 * separated by ',' or ';'), `Sender`, `Subject`, and the text as `Message` or
 * the element's content; variables substituted. Stored in the e-mail outbox
 * and sent through email.smtp with retries; the call goes on whatever
 * happens (without an SMTP server it is logged and skipped).
 */
import { isAppError } from '../../../shared/errors.js';
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, mainParameter } from '../xml.js';

export const sendEmail = defineVerb({
  name: 'SendEmail',
  answers: false,
  parse: (el) => {
    const recipient = attr(el, 'Recipient')?.trim();
    if (!recipient) throw new OzmlError(`<${el.name}> needs a Recipient`, el.at);
    return { recipient, sender: attr(el, 'Sender')?.trim() || null, subject: attr(el, 'Subject') ?? '', text: mainParameter(el, 'Message') ?? '' };
  },
  async run(args, ctx) {
    const email = ctx.services.email;
    if (!email) {
      ctx.log.warn({ recipient: args.recipient }, 'script SendEmail skipped: no SMTP server is configured (email.smtp)');
      return CONTINUE;
    }
    const v = (s: string) => ctx.vars.substitute(s);
    try {
      const id = await email.send({
        recipients: v(args.recipient),
        sender: args.sender ? v(args.sender) : null,
        subject: v(args.subject),
        text: v(args.text),
        kind: 'OzmlSendEmail',
      });
      ctx.log.info({ emailId: id }, 'script sent an e-mail');
    } catch (err) {
      ctx.log.warn({ err, code: isAppError(err) ? err.code : undefined }, 'script SendEmail refused; the call goes on');
    }
    return CONTINUE;
  },
});
