/**
 * Exit: Ozeki lists it without a description (ozeki-ozml.md §2). telenode
 * stops the script there; as at any end of script, the call is hung up.
 */
import { defineVerb } from '../script.js';

export const exit = defineVerb({
  name: 'Exit',
  answers: false,
  parse: () => ({}),
  run: async () => ({ kind: 'stop', why: 'exit' }),
});
