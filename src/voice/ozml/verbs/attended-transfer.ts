/**
 * AttendedTransfer (ozeki-ozml.md §3.4): join the far ends of two calls of this node — `TransferredCallId` (default:
 * the script's own call) is REFERred to the far end of `TargetCallId` with Replaces (RFC 5589 §7), as the command
 * does. When the script's own call is the transferred one it leaves the script once the transfer is accepted
 * (CallChanged Transferred); when the transfer fails, the script goes on.
 */
import { CONTINUE, defineVerb } from '../script.js';
import { OzmlError, attr } from '../xml.js';

export const attendedTransfer = defineVerb({
  name: 'AttendedTransfer',
  answers: true,
  parse: (el) => {
    const target = attr(el, 'TargetCallId')?.trim();
    if (!target) throw new OzmlError(`<${el.name}> needs a TargetCallId`, el.at);
    return { target, transferred: attr(el, 'TransferredCallId')?.trim() || null };
  },
  async run(args, ctx) {
    const own = ctx.session.info.id;
    const transferred = args.transferred ? ctx.vars.substitute(args.transferred) : own;
    const target = ctx.vars.substitute(args.target);
    if (!ctx.services.dialer) {
      ctx.log.warn({ target }, 'AttendedTransfer skipped: this node has no call commands');
      return CONTINUE;
    }
    try {
      await ctx.services.dialer.attendedTransfer(transferred, target);
    } catch (err) {
      if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      ctx.log.warn({ err, transferred, target }, 'AttendedTransfer failed; the script goes on');
      return CONTINUE;
    }
    if (transferred !== own) return CONTINUE;
    ctx.changed('Transferred', { Target: target });
    return { kind: 'stop', why: 'transferred' };
  },
});
