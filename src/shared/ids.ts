/**
 * Identifiers for the rows we mint (SmsId, inbound message ids, call ids):
 * UUIDv7 (RFC 9562) — still a GUID to every API client, but its first 48 bits
 * are the creation time in milliseconds. Keys that grow with time are
 * appended at the right edge of SQLite's B-trees; random v4 keys land on a
 * random page each, and every commit then rewrote hundreds of scattered
 * pages (decision 0098).
 *
 * Built on crypto.randomUUID(), whose random bits come from Node's cached
 * entropy pool (the `uuid` package's v7 asks the CSPRNG for 16 bytes per id,
 * 2.6 % of the daemon's main thread under load): its first 48 bits become the
 * time, its version nibble 7 and the next 12 bits a counter (RFC 9562 §6.2,
 * method 1) so ids made in the same millisecond still sort in order.
 */
import { randomInt, randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;
/** `prefixMs` as an id's first 15 characters (`tttttttt-tttt-7`), formatted once for all the ids of a millisecond. */
let timePrefix = '';
let prefixMs = -1;

export function newId(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    // A random start in the lower half leaves room for 2,048+ ids in this millisecond.
    counter = randomInt(0, 0x800);
  } else {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // More than the counter holds in one millisecond (or the clock went back): borrow the next one.
      lastMs = ++ms;
      counter = 0;
    }
  }
  if (ms !== prefixMs) {
    const time = ms.toString(16).padStart(12, '0');
    timePrefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    prefixMs = ms;
  }
  return `${timePrefix}${counter < 0x10 ? '00' : counter < 0x100 ? '0' : ''}${counter.toString(16)}${randomUUID().slice(18)}`;
}
