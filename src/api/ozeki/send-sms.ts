/**
 * Ozeki `SendSms` (Ozeki's SendSms reference): Recipient and Message required; Sender and
 * DeliveryReportURL (also the reference's misspelling DelivaryReportURL) optional.
 * The SmsId is returned only after the message is durably stored.
 */
import type { OzekiCommandContext, OzekiResult } from './command.js';
import { invalidParameter } from './command.js';
import { OzekiCode } from './xml.js';
import { validateCallbackUrl, validateRecipient, validateSender } from '../../sms/validate.js';

export async function sendSmsCommand(ctx: OzekiCommandContext): Promise<OzekiResult> {
  const { params } = ctx;
  const recipient = params.get('Recipient')?.trim();
  if (!recipient) throw invalidParameter('Recipient', 'Recipient is required');
  const recipientError = validateRecipient(recipient);
  if (recipientError) throw invalidParameter('Recipient', recipientError);

  const text = params.get('Message');
  if (text === undefined || text.length === 0) throw invalidParameter('Message', 'Message is required');

  const sender = params.get('Sender')?.trim() || null;
  if (sender) {
    const senderError = validateSender(sender);
    if (senderError) throw invalidParameter('Sender', senderError);
  }

  const callbackUrl = params.get('DeliveryReportURL', 'DelivaryReportURL')?.trim() || null;
  if (callbackUrl) {
    const urlError = validateCallbackUrl(callbackUrl);
    if (urlError) throw invalidParameter('DeliveryReportURL', urlError);
  }

  const message = await ctx.deps.outbox.accept({
    user: ctx.username,
    dialect: 'ozeki',
    sender,
    recipient,
    text,
    callbackUrl,
  });
  return { code: OzekiCode.Ok, extra: { SmsId: message.id } };
}
