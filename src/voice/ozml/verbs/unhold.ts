/** Unhold: take the caller back from Hold with our re-INVITE (a=sendrecv); see hold.ts. */
import { holdVerb } from './hold.js';

export const unhold = holdVerb('Unhold', false);
