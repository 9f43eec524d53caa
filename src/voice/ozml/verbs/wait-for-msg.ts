/**
 * WaitForMsg (also `ReceiveMessage`): Ozeki lists the verb without its parameters (ozeki-ozml.md §2). telenode's
 * reading, for a script that waits for an SMS the caller sends during the call — a code read out to them, a
 * "YES" — as the password-reset and payment flows need:
 *
 * - `Sender`: who must send it (default `$Caller`); `Recipient`: the number of ours it must be sent to (default
 *   any); numbers match with or without + / 00. Only SMS received after the verb starts count.
 * - `Timeout`: seconds to wait (60, at most 3600).
 * - Sets `$MsgText`, `$MsgSender`, `$MsgRecipient`, `$MsgId` (empty after a timeout) and runs `<OnReceived>` or
 *   `<OnTimeout>` with them, then goes on after the verb. The call is answered first (the caller waits in it);
 *   the caller hanging up ends the wait.
 *
 * The SMS is read from the store, so one that reached another node of a cluster counts; it is still delivered
 * to the app (IncomingSMS, the dialects' inboxes) as every SMS is.
 */
import type { Command, Outcome } from '../script.js';
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr, numberAttr } from '../xml.js';

interface WaitForMsgArgs {
  sender: string;
  recipient: string | null;
  timeoutMs: number;
  onReceived: Command[];
  onTimeout: Command[];
}

const BLOCKS = { onreceived: 'onReceived', ontimeout: 'onTimeout' } as const;

export const waitForMsg = defineVerb<WaitForMsgArgs>({
  name: 'WaitForMsg',
  // The caller is told what to send and waits in the call: a ringing call is answered first.
  answers: true,
  parse: (el, p) => {
    const args: WaitForMsgArgs = {
      sender: attr(el, 'Sender', 'From')?.trim() || '$Caller',
      recipient: attr(el, 'Recipient', 'To')?.trim() || null,
      timeoutMs: numberAttr(el, 'Timeout', 60, { min: 1, max: 3600 }) * 1000,
      onReceived: [],
      onTimeout: [],
    };
    for (const child of el.children) {
      const block = BLOCKS[child.key as keyof typeof BLOCKS];
      if (!block) throw new OzmlError(`<${el.name}> may hold <OnReceived> and <OnTimeout>, not <${child.name}>`, child.at);
      args[block].push(...p.parseBlock(child.children));
    }
    return args;
  },
  async run(args, ctx): Promise<Outcome> {
    const since = Date.now();
    const sender = ctx.vars.substitute(args.sender);
    const recipient = args.recipient ? ctx.vars.substitute(args.recipient) : null;
    ctx.log.info({ sender, recipient, timeoutMs: args.timeoutMs }, 'waiting for an SMS');
    const sms = await ctx.services.sms.waitForInbound({ senders: [sender], recipient, since }, args.timeoutMs, ctx.signal);
    ctx.vars.set('MsgText', sms?.text ?? '');
    ctx.vars.set('MsgSender', sms?.sender ?? '');
    ctx.vars.set('MsgRecipient', sms?.recipient ?? '');
    ctx.vars.set('MsgId', sms?.id ?? '');
    if (ctx.signal.aborted) return CONTINUE; // the caller hung up while we waited: the interpreter stops
    ctx.log.info({ received: sms !== null }, sms ? 'the SMS came' : 'no SMS within the timeout');
    const block = sms ? args.onReceived : args.onTimeout;
    return block.length > 0 ? ctx.runBlock(block) : CONTINUE;
  },
});
