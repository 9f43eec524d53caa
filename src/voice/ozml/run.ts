/**
 * The interpreter: runs a script's commands in order against one call.
 *
 * - Each verb's `run` returns what happens next; a `replace` (GoTo, a
 *   ForwardToUrl or RecordCompleted reply) swaps the whole script, the rest
 *   of the old one is dropped.
 * - Cancellation is the call's AbortSignal: when the caller hangs up, the
 *   running verb's wait (playout, digits, delay, recording, HTTP) ends at
 *   once and no further command starts.
 * - A verb that fails at run time (TTS down, a file missing) is logged with
 *   its line and the script goes on, as a caller would rather hear the rest
 *   than silence; a call that cannot be answered stops the script.
 * - The end of the script, Hangup and Exit all end the call; the caller
 *   (CallService) sends the BYE.
 */
import { VERBS } from './verbs/index.js';
import { CONTINUE, type AnyVerb, type Command, type Outcome, type OzmlScript, type RunContext } from './script.js';

export type ScriptEnd = 'end-of-script' | 'hangup' | 'exit' | 'transferred' | 'rejected' | 'ended';

const ENDED: Outcome = { kind: 'stop', why: 'ended' };

/** The parts of a RunContext that do not change while a script runs. */
export type BaseContext = Omit<RunContext, 'runBlock' | 'bargeIn' | 'menuDepth'>;

export function rootContext(base: BaseContext): RunContext {
  return derive(base, false, 0);
}

function derive(base: BaseContext, bargeIn: boolean, menuDepth: number): RunContext {
  const ctx: RunContext = {
    ...base,
    bargeIn,
    menuDepth,
    runBlock: (commands, variant = {}) => runCommands(commands, derive(ctx, variant.bargeIn ?? ctx.bargeIn, variant.menuDepth ?? ctx.menuDepth)),
  };
  return ctx;
}

export async function runScript(script: OzmlScript, ctx: RunContext): Promise<ScriptEnd> {
  let current = script;
  for (;;) {
    ctx.log.debug({ origin: current.origin, commands: current.commands.length }, 'running OzML');
    const outcome = await runCommands(current.commands, ctx);
    if (outcome.kind === 'replace') {
      current = outcome.script;
      continue;
    }
    if (outcome.kind === 'stop') return outcome.why;
    return ctx.signal.aborted ? 'ended' : 'end-of-script';
  }
}

async function runCommands(commands: readonly Command[], ctx: RunContext): Promise<Outcome> {
  for (const command of commands) {
    if (ctx.signal.aborted) return ENDED;
    const verb = VERBS.get(command.verb.toLowerCase())!;
    if (verb.answers && ctx.session.state === 'new') {
      if (verb.prepare) await prepareWhileRinging(verb, command, ctx);
      try {
        await ctx.ensureAnswered();
      } catch (err) {
        if (!ctx.signal.aborted) ctx.log.warn({ err, line: command.at.line }, 'the call could not be answered');
        return ENDED;
      }
    }
    let outcome: Outcome;
    try {
      outcome = await verb.run(command.args, ctx);
    } catch (err) {
      if (ctx.signal.aborted) return ENDED;
      ctx.log.error({ err, verb: command.verb, line: command.at.line, column: command.at.column }, 'OzML command failed; the script goes on');
      outcome = CONTINUE;
    }
    if (outcome.kind !== 'continue') return outcome;
  }
  return ctx.signal.aborted ? ENDED : CONTINUE;
}

/** At most this long of extra ringing for the first prompt: a slow synthesiser must not keep a call unanswered. */
const PREPARE_LIMIT_MS = 3000;

async function prepareWhileRinging(verb: AnyVerb, command: Command, ctx: RunContext): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([verb.prepare!(command.args, ctx), new Promise<void>((resolve) => (timer = setTimeout(resolve, PREPARE_LIMIT_MS)))]);
  } catch (err) {
    ctx.log.debug({ err, verb: command.verb, line: command.at.line }, 'could not prepare the first prompt before answering');
  } finally {
    clearTimeout(timer);
  }
}
