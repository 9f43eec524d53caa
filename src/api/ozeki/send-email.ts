/**
 * Ozeki's SendEmail command (ozeki-ozml.md "SendEmail"): `Recipient`
 * (required; several separated by ',' or ';'), `Sender` (default: the
 * configured sender), `Subject`, `Message`; `ApiExtension` accepted. Stored
 * before the answer and sent through `email.smtp` with retries; without an
 * SMTP server configured the command cannot be used (303).
 */
import type { OzekiCommandContext, OzekiResult } from './command.js';
import { OzekiCode, formatOzekiMessage } from './xml.js';

export async function sendEmailCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const emails = ctx.deps.emails;
  if (!emails) {
    return {
      code: OzekiCode.InappropriateCommand,
      message: formatOzekiMessage(OzekiCode.InappropriateCommand, ctx.command),
      extra: { Detail: 'no SMTP server is configured (email.smtp)' },
    };
  }
  const id = await emails.send({
    recipients: ctx.params.get('Recipient') ?? '',
    sender: ctx.params.get('Sender') ?? null,
    subject: ctx.params.get('Subject') ?? '',
    text: ctx.params.get('Message') ?? '',
    kind: 'OzekiSendEmail',
  });
  ctx.deps.log.info({ emailId: id, user: ctx.username }, 'SendEmail stored');
  return { code: OzekiCode.Ok };
}
