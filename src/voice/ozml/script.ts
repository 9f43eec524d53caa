/**
 * The typed script the parser produces and the interpreter runs, and the
 * contract every verb keeps: `parse` validates one element (errors carry its
 * line and column), `run` does the work against the call and says what
 * happens next. A verb never writes HTTP or SIP itself; it asks the context.
 */
import type { Logger } from '../../shared/log.js';
import type { CallSession } from '../call-session.js';
import type { OzmlElement, Position } from './xml.js';
import type { Scope } from './substitute.js';
import type { ScriptServices } from './services.js';

export interface Command<A = unknown> {
  /** The verb's canonical name (Speak, UserInput, …). */
  verb: string;
  args: A;
  at: Position;
}

export interface OzmlScript {
  commands: Command[];
  /** Where it came from (URL, file, "fallback"), for logs. */
  origin: string;
}

/** What the interpreter does after a verb. */
export type Outcome =
  | { kind: 'continue' }
  /** Hangup, Exit, end of a transferred call: stop and hang up. */
  | { kind: 'stop'; why: 'hangup' | 'exit' | 'transferred' | 'rejected' | 'ended' }
  /** A GoTo / ForwardToUrl / RecordCompleted reply replaces the rest of the script. */
  | { kind: 'replace'; script: OzmlScript }
  /** BackKey pressed in a nested UserInput: the parent menu runs again. */
  | { kind: 'back' };

export const CONTINUE: Outcome = { kind: 'continue' };

export interface ParseContext {
  /** Parse the children of a block (UserInput's InitialCommands and Inputs, ForEach). */
  parseBlock(children: readonly OzmlElement[]): Command[];
  /** True while parsing the first command of the document (Reject's rule). */
  readonly first: boolean;
}

export interface RunContext {
  session: CallSession;
  /** Aborted when the caller hangs up: every wait a verb makes takes it. */
  signal: AbortSignal;
  vars: Scope;
  services: ScriptServices;
  log: Logger;
  /** Prompts inside a UserInput's InitialCommands stop when a key is pressed. */
  bargeIn: boolean;
  /** How many UserInputs enclose this command (BackKey returns only from a nested one). */
  menuDepth: number;
  /** Run a block of commands with this context (or a variant of it). */
  runBlock(commands: readonly Command[], variant?: Partial<Pick<RunContext, 'bargeIn' | 'menuDepth'>>): Promise<Outcome>;
  /** Answer the call if it is not answered yet. */
  ensureAnswered(): Promise<void>;
  /** The fields every notification about this call carries (CallId, Caller, Callee, …). */
  callFields(): Record<string, string>;
  /** POST a notification whose reply is OzML; null when the reply has no commands. */
  ask(url: string, notification: string, fields: Record<string, string>): Promise<OzmlScript | null>;
  /** Report a call state change (CallChanged). */
  changed(state: string, extra?: Record<string, string>): void;
}

export interface VerbDefinition<A> {
  name: string;
  /** Whether the call must be answered before this verb runs (media verbs); others run while ringing too. */
  answers: boolean;
  parse(element: OzmlElement, p: ParseContext): A;
  run(args: A, ctx: RunContext): Promise<Outcome>;
  /**
   * What can be done while the caller still hears ringing (speech synthesis, a prompt download): when
   * this verb is the one that answers the call, it runs before the 200 OK, so the caller hears the
   * prompt at once instead of silence. Failures are ignored here; run() meets them again.
   */
  prepare?(args: A, ctx: RunContext): Promise<void>;
}

/** A registry entry without its argument type (the registry holds every verb). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyVerb = VerbDefinition<any>;

export function defineVerb<A>(verb: VerbDefinition<A>): VerbDefinition<A> {
  return verb;
}
