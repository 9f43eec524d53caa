/**
 * UserInput: a DTMF menu or digit entry (ozeki-ozml.md §2 UserInput).
 *
 *   ┌► InitialCommands (prompts; a key press stops them)
 *   │   collect Digits (or MinDigits..MaxDigits, # ends early) within Timeout
 *   │     ├ nothing ──────────── Repeat and fewer than 3 repeats? ─yes─┐
 *   │     │                       └ no: go on after the UserInput       │
 *   │     ├ BackKey ─ nested: back to the parent menu; top: go on after │
 *   │     ├ an <Input Key> ─ run its commands (a nested BackKey ────────┤
 *   │     │                  comes back here), then go on after         │
 *   │     └ no Input matches ─ ForwardToUrl? DtmfEntered (DtmfDigits);  │
 *   │                          its OzML replaces the script; else as    │
 *   │                          "nothing"                                │
 *   └───────────────────────────────────────────────────────────────────┘
 *
 * Defaults telenode chose where Ozeki's pages disagree or are silent:
 * Timeout 5 s (XE says 0, which would never wait), 3 s between digits,
 * at most 3 repeats. The digits are kept in $DtmfDigits.
 */
import { CONTINUE, defineVerb, type Command, type Outcome } from '../script.js';
import { OzmlError, attr, booleanAttr, numberAttr, type OzmlElement } from '../xml.js';

const KEYS = /^[0-9*#A-D]+$/;
const MAX_REPEATS = 3;
const INTER_DIGIT_MS = 3000;

interface UserInputArgs {
  timeoutMs: number;
  repeat: boolean;
  minDigits: number;
  maxDigits: number;
  backKey: string | null;
  forwardToUrl: string | null;
  initial: Command[];
  inputs: { key: string; commands: Command[] }[];
}

export const userInput = defineVerb<UserInputArgs>({
  name: 'UserInput',
  answers: true,
  parse: (el, p) => {
    const digits = attr(el, 'Digits') === undefined ? null : numberAttr(el, 'Digits', 1, { min: 1, max: 32, integer: true });
    const minDigits = digits ?? numberAttr(el, 'MinDigits', 1, { min: 1, max: 32, integer: true });
    const maxDigits = digits ?? numberAttr(el, 'MaxDigits', Math.max(1, minDigits), { min: 1, max: 32, integer: true });
    if (maxDigits < minDigits) throw new OzmlError(`<${el.name}> MaxDigits (${maxDigits}) is below MinDigits (${minDigits})`, el.at);
    const backKey = attr(el, 'BackKey')?.trim().toUpperCase() || null;
    if (backKey !== null && !/^[0-9*#A-D]$/.test(backKey)) throw new OzmlError(`<${el.name}> BackKey="${backKey}" must be one key`, el.at);
    const args: UserInputArgs = {
      timeoutMs: numberAttr(el, 'Timeout', 5, { max: 3600 }) * 1000,
      repeat: booleanAttr(el, 'Repeat', false),
      minDigits,
      maxDigits,
      backKey,
      forwardToUrl: attr(el, 'ForwardToUrl', 'ForwardToURL')?.trim() || null,
      initial: [],
      inputs: [],
    };
    for (const child of el.children) {
      if (child.key === 'initialcommands') args.initial.push(...p.parseBlock(child.children));
      else if (child.key === 'inputs') args.inputs.push(...child.children.map((input) => parseInput(input, p.parseBlock)));
      else if (child.key === 'input') args.inputs.push(parseInput(child, p.parseBlock));
      else throw new OzmlError(`<${el.name}> may hold <InitialCommands> and <Inputs>, not <${child.name}>`, child.at);
    }
    return args;
  },
  async run(args, ctx) {
    const session = ctx.session;
    const variable = args.maxDigits > args.minDigits;
    const terminators = (variable ? '#' : '') + (args.backKey ?? '');
    let repeats = 0;
    for (;;) {
      const prompted = await ctx.runBlock(args.initial, { bargeIn: true });
      if (prompted.kind !== 'continue') return prompted;
      const result = await session.collectDigits({
        maxDigits: args.maxDigits,
        firstDigitTimeoutMs: args.timeoutMs,
        interDigitTimeoutMs: INTER_DIGIT_MS,
        terminators,
      });
      if (result.reason === 'aborted' || ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
      const back = args.backKey !== null && ((result.digits === '' && result.terminator === args.backKey) || result.digits === args.backKey);
      if (back) return ctx.menuDepth > 0 ? { kind: 'back' } : CONTINUE;
      const digits = result.digits;
      if (digits !== '') ctx.vars.set('DtmfDigits', digits);
      ctx.log.debug({ digits, reason: result.reason }, 'UserInput');
      const input = digits.length >= args.minDigits ? args.inputs.find((i) => i.key === digits) : undefined;
      if (input) {
        const outcome: Outcome = await ctx.runBlock(input.commands, { bargeIn: false, menuDepth: ctx.menuDepth + 1 });
        if (outcome.kind === 'back') {
          repeats = 0;
          continue;
        }
        return outcome;
      }
      if (digits !== '' && args.forwardToUrl) {
        try {
          const script = await ctx.ask(ctx.vars.substituteUrl(args.forwardToUrl), 'DtmfEntered', { DtmfDigits: digits });
          return script ? { kind: 'replace', script } : CONTINUE;
        } catch (err) {
          if (ctx.signal.aborted) return { kind: 'stop', why: 'ended' };
          ctx.log.warn({ err }, 'DtmfEntered failed; the script goes on');
          return CONTINUE;
        }
      }
      if (args.repeat && repeats < MAX_REPEATS) {
        repeats++;
        continue;
      }
      return CONTINUE;
    }
  },
});

function parseInput(el: OzmlElement, parseBlock: (children: readonly OzmlElement[]) => Command[]): { key: string; commands: Command[] } {
  if (el.key !== 'input') throw new OzmlError(`<Inputs> may only hold <Input Key="…">, not <${el.name}>`, el.at);
  const key = attr(el, 'Key')?.trim().toUpperCase();
  if (!key || !KEYS.test(key)) throw new OzmlError(`<${el.name}> needs Key="…" made of 0-9 * # A-D`, el.at);
  return { key, commands: parseBlock(el.children) };
}
