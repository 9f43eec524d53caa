/**
 * Hold and Unhold (ozeki-ozml.md §3.4 "Hold / Unhold"): put the caller on hold with our re-INVITE (a=sendonly,
 * RFC 3264 §8.4) or take them back (a=sendrecv). `CallId` is accepted and ignored: a script acts on its own call.
 * The script goes on either way: what it plays while the caller is held is their hold music. A far end that
 * refuses the re-INVITE keeps the call as it was (logged). CallChanged reports Hold and InCall (call-runtime.ts).
 */
import { CONTINUE, defineVerb, type VerbDefinition } from '../script.js';

export function holdVerb(name: string, held: boolean): VerbDefinition<Record<string, never>> {
  return defineVerb({
    name,
    answers: true,
    parse: () => ({}),
    async run(_args, ctx) {
      try {
        await ctx.session.hold(held);
      } catch (err) {
        if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
        ctx.log.warn({ err }, `${name} failed; the script goes on`);
      }
      return CONTINUE;
    },
  });
}

export const hold = holdVerb('Hold', true);
