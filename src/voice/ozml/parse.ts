/**
 * OzML text → typed script. The root must be <Response>; each child is a
 * verb from the registry, parsed by the verb itself. Every error names the
 * line and column of the element at fault (OzmlError, TN_ERR_OZML_INVALID).
 * Reject is allowed only as the document's first command.
 */
import type { Command, OzmlScript, ParseContext } from './script.js';
import { VERBS } from './verbs/index.js';
import { OzmlError, readXml, type OzmlElement } from './xml.js';

export function parseOzml(source: string, origin = 'inline'): OzmlScript {
  if (source.trim() === '') throw new OzmlError('the document is empty', { line: 1, column: 1 });
  const root = readXml(source);
  if (root.key !== 'response') throw new OzmlError(`the root element must be <Response>, not <${root.name}>`, root.at);
  return { commands: parseCommands(root.children, true), origin };
}

/** A reply to a notification: an empty body or a <Response/> with no commands means "nothing to run". */
export function parseReply(source: string, origin: string): OzmlScript | null {
  if (source.trim() === '') return null;
  const script = parseOzml(source, origin);
  return script.commands.length === 0 ? null : script;
}

/**
 * Every error in the document, in order, for `telenode ozml lint`: the parse
 * goes on after a bad command (and inside blocks) instead of stopping.
 */
export function lintOzml(source: string): OzmlError[] {
  const errors: OzmlError[] = [];
  try {
    if (source.trim() === '') throw new OzmlError('the document is empty', { line: 1, column: 1 });
    const root = readXml(source);
    if (root.key !== 'response') throw new OzmlError(`the root element must be <Response>, not <${root.name}>`, root.at);
    parseCommands(root.children, true, errors);
  } catch (err) {
    if (!(err instanceof OzmlError)) throw err;
    errors.push(err);
  }
  return errors.sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.column ?? 0) - (b.at?.column ?? 0));
}

/** With `errors`, a bad command is recorded and skipped; without, the first error throws. */
function parseCommands(elements: readonly OzmlElement[], topLevel: boolean, errors?: OzmlError[]): Command[] {
  const commands: Command[] = [];
  for (const [index, element] of elements.entries()) {
    try {
      const verb = VERBS.get(element.key);
      if (!verb) throw new OzmlError(`unknown command <${element.name}>`, element.at);
      const context: ParseContext = {
        first: topLevel && index === 0,
        parseBlock: (children) => parseCommands(children, false, errors),
      };
      commands.push({ verb: verb.name, args: verb.parse(element, context), at: element.at });
    } catch (err) {
      if (!errors || !(err instanceof OzmlError)) throw err;
      errors.push(err);
    }
  }
  return commands;
}
